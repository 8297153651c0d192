// Security probes against the BUILT server (issue 16 part 0): each one reproduced a defect
// of the landed foundation before its fix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { startServer, TEST_PASSWORD, TEST_TOKEN, type RunningServer } from '../helpers/server';

/** A raw HTTP request: the path goes out byte for byte (like curl --path-as-is). */
function raw(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
	const { hostname, port } = new URL(base);
	return new Promise((resolve, reject) => {
		const req = request({ hostname, port, path, method: 'GET', headers }, (res) => {
			let body = '';
			res.on('data', (d) => (body += d));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
		});
		req.on('error', reject);
		req.end();
	});
}

describe('undecodable paths', () => {
	let server: RunningServer;
	beforeAll(async () => (server = await startServer()));
	afterAll(() => server?.stop());

	const paths = ['/%ff', '/%', '/%c0%af', '/vm/%ff', '/api/trpc/%ff', '/api/vm/%fe%ff', '/login%ff', '/%e0%80', '/api/trpc/auth.login%ff?batch=1', '/metrics/%zz', '/healthz/%ff'];
	const credentials: [string, Record<string, string>][] = [
		['no credentials', {}],
		['the API token', { authorization: `Bearer ${TEST_TOKEN}` }],
		['a junk session cookie', { cookie: 'vmw_session=junk' }]
	];

	it.each(credentials)('answer 400 with %s and the server keeps serving', async (_name, headers) => {
		for (const p of paths) {
			const res = await raw(server.url, p, headers);
			expect({ path: p, status: res.status }).toEqual({ path: p, status: 400 });
		}
		expect((await raw(server.url, '/healthz')).status).toBe(200);
		expect(server.output()).not.toMatch(/ERR_UNHANDLED_REJECTION/);
	});
});

const json = (server: RunningServer, extra: Record<string, string> = {}) => ({ 'content-type': 'application/json', origin: server.url, ...extra });
const loginOnce = (server: RunningServer, password: string, extra: Record<string, string> = {}) =>
	fetch(`${server.url}/api/trpc/auth.login`, { method: 'POST', headers: json(server, extra), body: JSON.stringify({ json: { password } }) });
const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('login throttle against batches and bursts', () => {
	let server: RunningServer;
	beforeAll(async () => (server = await startServer()));
	afterAll(() => server?.stop());

	it('refuses a batch of 1,400 logins (the right password last) without evaluating any', async () => {
		const n = 1400;
		const body: Record<string, { json: { password: string } }> = {};
		for (let i = 0; i < n; i++) body[i] = { json: { password: i === n - 1 ? TEST_PASSWORD : `wrong guess ${i}` } };
		const res = await fetch(`${server.url}/api/trpc/${Array(n).fill('auth.login').join(',')}?batch=1`, { method: 'POST', headers: json(server), body: JSON.stringify(body) });
		expect(res.status).toBe(400);
		expect(res.headers.get('set-cookie')).toBeNull();
		expect(count(server.output(), 'login failed')).toBe(0);
		// A two-item batch is refused the same way.
		const two = await fetch(`${server.url}/api/trpc/auth.me,auth.login?batch=1`, { method: 'POST', headers: json(server), body: JSON.stringify({ 0: { json: null }, 1: { json: { password: TEST_PASSWORD } } }) });
		expect(two.status).toBe(400);
		expect(two.headers.get('set-cookie')).toBeNull();
	});

	it('200 parallel wrong logins evaluate at most 5 guesses; the right password is then refused', async () => {
		const statuses = await Promise.all(Array.from({ length: 200 }, (_, i) => loginOnce(server, `parallel wrong ${i}`).then((r) => r.status)));
		// 5 free tries (throttle.ts); every other request is refused before its password is checked.
		expect(count(server.output(), '"msg":"login failed: wrong password"')).toBeLessThanOrEqual(5);
		expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
		expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(195);
		const right = await loginOnce(server, TEST_PASSWORD);
		expect(right.status).toBe(429);
		expect(right.headers.get('set-cookie')).toBeNull();
		expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
	});
});

describe('rate limit (part 5)', () => {
	let server: RunningServer;
	beforeAll(async () => (server = await startServer()));
	afterAll(() => server?.stop());

	it('the 11th failed login in a minute gets TOO_MANY_REQUESTS, and every failure is logged', async () => {
		const statuses: number[] = [];
		for (let i = 0; i < 11; i++) statuses.push((await loginOnce(server, `sequential wrong ${i}`)).status);
		expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
		expect(statuses[10]).toBe(429);
		const body = await (await loginOnce(server, 'one more')).json();
		expect(body.error.json.data.code).toBe('TOO_MANY_REQUESTS');
		// 5 wrong passwords + 7 refusals, one log line each, with the address.
		const log = server.output();
		expect(count(log, '"msg":"login failed: wrong password","address":"127.0.0.1"')).toBe(5);
		expect(count(log, '"msg":"login refused: too many attempts","address":"127.0.0.1"')).toBe(7);
	});
});
