import { describe, expect, it } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import { TRPCError } from '@trpc/server';
import { onBehalfOfValue, remoteError } from './forward';
import { actorOf, withOnBehalfOf } from '../audit/actions';

const host = { name: 'VM two', timeoutMs: 1500 };
const answered = (code: string, message: string) =>
	new TRPCClientError(message, { result: { error: { code: -32000, message, data: { code, httpStatus: 400, path: 'x' } } } as never });

describe('remote errors', () => {
	it('keep the remote code and message, prefixed with the host name', () => {
		const e = remoteError(host, answered('NOT_FOUND', 'no container "x" in the current list'));
		expect([e.code, e.message]).toEqual(['NOT_FOUND', 'VM two: no container "x" in the current list']);
		expect(remoteError(host, answered('CONFLICT', 'busy')).code).toBe('CONFLICT');
	});

	it('the host refusing the hub token is a gateway error, not the hub user being logged out', () => {
		const e = remoteError(host, answered('UNAUTHORIZED', 'Log in or send the API token.'));
		expect(e.code).toBe('BAD_GATEWAY');
		expect(e.message).toBe("VM two refused the hub's API token: Log in or send the API token. (check the host's token in the hosts registry)");
	});

	it('no answer: GATEWAY_TIMEOUT after the host timeout, BAD_GATEWAY when unreachable', () => {
		const timeout = Object.assign(new Error('no answer from host "vm2" within 1500 ms'), { name: 'HostTimeoutError' });
		expect(remoteError(host, new TRPCClientError('fetch failed', { cause: timeout }))).toMatchObject({ code: 'GATEWAY_TIMEOUT', message: 'VM two did not answer within 1500 ms' });
		const refused = new TRPCClientError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') });
		expect(remoteError(host, refused)).toMatchObject({ code: 'BAD_GATEWAY', message: 'VM two is unreachable: fetch failed: connect ECONNREFUSED 127.0.0.1:1' });
		const mine = new TRPCError({ code: 'PRECONDITION_FAILED', message: 'kept' });
		expect(remoteError(host, mine)).toBe(mine);
	});
});

describe('on behalf of', () => {
	it('the hub sends its user, sanitized and bounded', () => {
		expect(onBehalfOfValue({ role: 'operator', via: 'session', userId: 2, userName: 'alice' }, 'hub')).toBe('session:operator:alice@hub');
		const long = onBehalfOfValue({ role: 'operator', via: 'proxy', userName: 'x'.repeat(300) + '\r\nInjected: 1' }, 'hub');
		expect(long.length).toBe(120);
		expect(long).toMatch(/^[A-Za-z0-9._:@#+-]+$/);
	});

	it('the host records it only for an operate-scope managed token', () => {
		const hubToken = { role: 'operator' as const, via: 'token' as const, tokenId: 3 };
		expect(actorOf(withOnBehalfOf(hubToken, 'session:operator:alice@hub'))).toBe('token:operator:#3 for session:operator:alice@hub');
		expect(actorOf(withOnBehalfOf(hubToken, 'bob smith\n<script>'))).toBe('token:operator:#3 for bob_smith__script_');
		// a read token, a session, or no header: the header changes nothing
		expect(actorOf(withOnBehalfOf({ role: 'viewer', via: 'token', tokenId: 4 }, 'alice'))).toBe('token:viewer:#4');
		expect(actorOf(withOnBehalfOf({ role: 'operator', via: 'session', userId: 1, userName: 'op' }, 'alice'))).toBe('session:operator:op');
		expect(actorOf(withOnBehalfOf({ role: 'viewer', via: 'token' }, 'alice'))).toBe('token:viewer');
		expect(actorOf(withOnBehalfOf(hubToken, null))).toBe('token:operator:#3');
	});
});
