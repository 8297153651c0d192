import { describe, expect, it } from 'vitest';
import { describeFailure } from './errors';

/** fetch's shape: TypeError('fetch failed') with the socket error as cause */
const fetchFailed = (code: string, message = code) =>
	new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });
const ctx = { what: 'vmwarden', where: 'https://ops:hunter2@vm2.example:4004/', timeoutMs: 1500 };

describe('describeFailure', () => {
	it('names what happened from the code deep in the cause chain, never the URL password', () => {
		const wrapped = (e: Error) => new Error('outer', { cause: e });
		expect(describeFailure(wrapped(fetchFailed('ECONNREFUSED')), ctx)).toBe(
			'connection refused by https://ops@vm2.example:4004: nothing listens there (is the vmwarden running, and is the port right?)'
		);
		expect(describeFailure(fetchFailed('ENOTFOUND'), ctx)).toBe(
			'the name in https://ops@vm2.example:4004 does not resolve (check the spelling, or use an IP address)'
		);
		expect(describeFailure(fetchFailed('CERT_HAS_EXPIRED'), ctx)).toBe(
			'TLS: the certificate of https://ops@vm2.example:4004 has expired'
		);
		expect(describeFailure(fetchFailed('ERR_TLS_CERT_ALTNAME_INVALID'), ctx)).toBe(
			'TLS: the certificate of https://ops@vm2.example:4004 is not for that name (use the name the certificate was issued for)'
		);
		expect(describeFailure(fetchFailed('UND_ERR_CONNECT_TIMEOUT'), ctx)).toBe(
			'no answer from https://ops@vm2.example:4004 within 1500 ms (is the vmwarden running, and is the address reachable from the hub?)'
		);
		expect(describeFailure(fetchFailed('ERR_SSL_WRONG_VERSION_NUMBER'), ctx)).toBe(
			'TLS handshake with https://ops@vm2.example:4004 failed (does it speak TLS on that port?)'
		);
		for (const c of ['ECONNREFUSED', 'ENOTFOUND', 'CERT_HAS_EXPIRED'])
			expect(describeFailure(fetchFailed(c), ctx)).not.toContain('hunter2');
	});

	it('never repeats what the remote said: a tRPC error body or any other message (issue 21 item 6)', () => {
		const at = { ...ctx, where: 'http://127.0.0.1:8500' };
		const trpcBody = Object.assign(new Error('vault token s.8fK2 expired for secret/db/prod'), {
			name: 'TRPCClientError'
		});
		expect(describeFailure(trpcBody, at)).toBe(
			'http://127.0.0.1:8500 answered, but not as vmwarden (not its API): check the URL'
		);
		const other = new Error('internal: redis AUTH hunter2 failed');
		expect(describeFailure(other, at)).toBe('could not reach http://127.0.0.1:8500');
		expect(
			describeFailure(Object.assign(new Error('odd: hunter2'), { code: 'ERR_SOMETHING_ODD' }), at)
		).toBe('could not reach http://127.0.0.1:8500 (ERR_SOMETHING_ODD)');
	});

	it('HTTP answers: refused credentials, a wrong path, something that is not the API', () => {
		const status = (s: number) =>
			Object.assign(new Error('x'), { meta: { response: { status: s } } });
		expect(describeFailure(status(401), { ...ctx, where: 'https://vm2.example' })).toBe(
			'https://vm2.example refused the credentials (HTTP 401)'
		);
		expect(describeFailure(status(404), { ...ctx, where: 'https://vm2.example' })).toBe(
			'https://vm2.example has no vmwarden API there (HTTP 404): check the URL, including any path prefix'
		);
		expect(
			describeFailure(new SyntaxError('Unexpected token < in JSON'), {
				...ctx,
				where: 'https://vm2.example'
			})
		).toBe('https://vm2.example answered, but not as vmwarden (not its API): check the URL');
		expect(
			describeFailure(Object.assign(new Error('restart: HTTP 500: boom'), { statusCode: 500 }), {
				...ctx,
				what: 'Docker Engine',
				where: 'tcp://10.0.0.5:2376'
			})
		).toBe('tcp://10.0.0.5:2376 answered HTTP 500');
	});
});
