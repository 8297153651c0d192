import { describe, expect, it } from 'vitest';
import { createTRPCClient, TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import type { AppRouter } from '../trpc/router';
import { createLogger } from '../log';
import { TRPCError } from '@trpc/server';
import { forwardSubscription, onBehalfOfValue, remoteError } from './forward';
import { actorOf, withOnBehalfOf } from '../audit/actions';

const host = { name: 'VM two', timeoutMs: 1500 };
const answered = (code: string, message: string) =>
	new TRPCClientError(message, {
		result: {
			error: { code: -32000, message, data: { code, httpStatus: 400, path: 'x' } }
		} as never
	});

describe('remote errors', () => {
	it('keep the remote code and message, prefixed with the host name', () => {
		const e = remoteError(host, answered('NOT_FOUND', 'no container "x" in the current list'));
		expect([e.code, e.message]).toEqual([
			'NOT_FOUND',
			'VM two: no container "x" in the current list'
		]);
		expect(remoteError(host, answered('CONFLICT', 'busy')).code).toBe('CONFLICT');
	});

	it('the host refusing the hub token is a gateway error, not the hub user being logged out', () => {
		const e = remoteError(host, answered('UNAUTHORIZED', 'Log in or send the API token.'));
		expect(e.code).toBe('BAD_GATEWAY');
		expect(e.message).toBe(
			"VM two refused the hub's API token: Log in or send the API token. (check the host's token in the hosts registry)"
		);
	});

	it('no answer: GATEWAY_TIMEOUT after the host timeout, BAD_GATEWAY when unreachable', () => {
		const timeout = Object.assign(new Error('no answer from host "vm2" within 1500 ms'), {
			name: 'HostTimeoutError'
		});
		expect(
			remoteError(host, new TRPCClientError('fetch failed', { cause: timeout }))
		).toMatchObject({ code: 'GATEWAY_TIMEOUT', message: 'VM two did not answer within 1500 ms' });
		const refused = new TRPCClientError('fetch failed', {
			cause: new Error('connect ECONNREFUSED 127.0.0.1:1')
		});
		expect(remoteError(host, refused)).toMatchObject({
			code: 'BAD_GATEWAY',
			message: 'VM two is unreachable: fetch failed: connect ECONNREFUSED 127.0.0.1:1'
		});
		const refusedCode = new TRPCClientError('fetch failed', {
			cause: new TypeError('fetch failed', {
				cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
					code: 'ECONNREFUSED'
				})
			})
		});
		expect(remoteError({ ...host, url: 'http://127.0.0.1:1' }, refusedCode).message).toBe(
			'VM two is unreachable: connection refused by http://127.0.0.1:1: nothing listens there (is the vmwarden running, and is the port right?)'
		);
		const mine = new TRPCError({ code: 'PRECONDITION_FAILED', message: 'kept' });
		expect(remoteError(host, mine)).toBe(mine);
	});
});

describe('on behalf of', () => {
	it('the hub sends its user, sanitized and bounded', () => {
		expect(
			onBehalfOfValue({ role: 'operator', via: 'session', userId: 2, userName: 'alice' }, 'hub')
		).toBe('session:operator:alice@hub');
		const long = onBehalfOfValue(
			{ role: 'operator', via: 'proxy', userName: 'x'.repeat(300) + '\r\nInjected: 1' },
			'hub'
		);
		expect(long.length).toBe(120);
		expect(long).toMatch(/^[A-Za-z0-9._:@#+-]+$/);
	});

	it('the host records it only for a hub-scope managed token (issue 21 item 8)', () => {
		const hubToken = {
			role: 'operator' as const,
			via: 'token' as const,
			tokenId: 3,
			hub: true as const
		};
		// an ordinary operate token (a script's) cannot write a name into the audit record
		expect(
			actorOf(
				withOnBehalfOf({ role: 'operator', via: 'token', tokenId: 5 }, 'session:admin:ceo@hub')
			)
		).toBe('token:operator:#5');
		expect(actorOf(withOnBehalfOf(hubToken, 'session:operator:alice@hub'))).toBe(
			'token:operator:#3 for session:operator:alice@hub'
		);
		expect(actorOf(withOnBehalfOf(hubToken, 'bob smith\n<script>'))).toBe(
			'token:operator:#3 for bob_smith__script_'
		);
		// a read token, a session, or no header: the header changes nothing
		expect(actorOf(withOnBehalfOf({ role: 'viewer', via: 'token', tokenId: 4 }, 'alice'))).toBe(
			'token:viewer:#4'
		);
		expect(
			actorOf(
				withOnBehalfOf({ role: 'operator', via: 'session', userId: 1, userName: 'op' }, 'alice')
			)
		).toBe('session:operator:op');
		expect(actorOf(withOnBehalfOf({ role: 'viewer', via: 'token' }, 'alice'))).toBe('token:viewer');
		expect(actorOf(withOnBehalfOf(hubToken, null))).toBe('token:operator:#3');
	});
});

describe('forwarded subscriptions', () => {
	/** A client whose subscriptions follow `script`: per connection, values then an error (or the end). */
	function scripted(
		script: { values: number[]; error?: Error }[],
		opened: { count: number; closed: number }
	) {
		const link: TRPCLink<AppRouter> = () => () =>
			observable((observer) => {
				const step = script[Math.min(opened.count, script.length - 1)];
				opened.count++;
				const t = setTimeout(() => {
					for (const v of step.values)
						observer.next({ result: { type: 'data', data: v } } as never);
					if (step.error) observer.error(TRPCClientError.from(step.error));
				}, 1);
				return () => {
					clearTimeout(t);
					opened.closed++;
				};
			});
		return createTRPCClient<AppRouter>({ links: [link] });
	}
	const hostRec = { id: 'vm2', name: 'VM two', timeoutMs: 1000 } as never;
	const deps = (client: ReturnType<typeof scripted>) => ({
		db: null as never,
		hubId: 'hub',
		client: () => client,
		clientOnBehalfOf: () => client,
		log: createLogger('forward-test'),
		backoff: { firstMs: 20, maxMs: 80 }
	});

	it('reconnects with growing delays after the host drops the stream, and ends when the client goes away', async () => {
		const opened = { count: 0, closed: 0 };
		const client = scripted(
			[
				{ values: [1], error: new Error('connect ECONNREFUSED') },
				{ values: [], error: new Error('connect ECONNREFUSED') },
				{ values: [], error: new Error('connect ECONNREFUSED') },
				{ values: [2, 3] }
			],
			opened
		);
		const ctrl = new AbortController();
		const got: unknown[] = [];
		const started = Date.now();
		const it = forwardSubscription(deps(client), hostRec, 'containers.live', {}, ctrl.signal);
		for await (const v of it) {
			got.push(v);
			if (got.length === 3) ctrl.abort();
		}
		expect(got).toEqual([1, 2, 3]);
		expect(opened.count).toBe(4);
		// waits of 20 + 40 + 80 ms between the four connections
		expect(Date.now() - started).toBeGreaterThanOrEqual(130);
		expect(opened.closed).toBe(4);
	});

	it('a final refusal ends the stream with the host-named error', async () => {
		const opened = { count: 0, closed: 0 };
		const refusal = new TRPCClientError('no such procedure', {
			result: {
				error: { code: -32004, message: 'no such procedure', data: { code: 'NOT_FOUND' } }
			} as never
		});
		const client = scripted([{ values: [], error: refusal }], opened);
		const it = forwardSubscription(deps(client), hostRec, 'nope.live', {}, undefined);
		await expect(it.next()).rejects.toMatchObject({
			code: 'NOT_FOUND',
			message: 'VM two: no such procedure'
		});
		expect(opened.count).toBe(1);
	});
});
