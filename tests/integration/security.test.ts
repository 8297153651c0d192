// Security probes against the BUILT server (issue 16 part 0): each one reproduced a defect
// of the landed foundation before its fix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import {
	startExpectingFailure,
	startServer,
	TEST_PASSWORD,
	TEST_TOKEN,
	type RunningServer
} from '../helpers/server';

/** A raw HTTP request: the path goes out byte for byte (like curl --path-as-is). */
function raw(
	base: string,
	path: string,
	headers: Record<string, string> = {}
): Promise<{ status: number; body: string }> {
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

	const paths = [
		'/%ff',
		'/%',
		'/%c0%af',
		'/vm/%ff',
		'/api/trpc/%ff',
		'/api/vm/%fe%ff',
		'/login%ff',
		'/%e0%80',
		'/api/trpc/auth.login%ff?batch=1',
		'/metrics/%zz',
		'/healthz/%ff'
	];
	const credentials: [string, Record<string, string>][] = [
		['no credentials', {}],
		['the API token', { authorization: `Bearer ${TEST_TOKEN}` }],
		['a junk session cookie', { cookie: 'vmw_session=junk' }]
	];

	it.each(credentials)(
		'answer 400 with %s and the server keeps serving',
		async (_name, headers) => {
			for (const p of paths) {
				const res = await raw(server.url, p, headers);
				expect({ path: p, status: res.status }).toEqual({ path: p, status: 400 });
			}
			expect((await raw(server.url, '/healthz')).status).toBe(200);
			expect(server.output()).not.toMatch(/ERR_UNHANDLED_REJECTION/);
		}
	);
});

const json = (server: RunningServer, extra: Record<string, string> = {}) => ({
	'content-type': 'application/json',
	origin: server.url,
	...extra
});
const loginOnce = (server: RunningServer, password: string, extra: Record<string, string> = {}) =>
	fetch(`${server.url}/api/trpc/auth.login`, {
		method: 'POST',
		headers: json(server, extra),
		body: JSON.stringify({ json: { password } })
	});
const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('login throttle against batches and bursts', () => {
	let server: RunningServer;
	beforeAll(async () => (server = await startServer()));
	afterAll(() => server?.stop());

	it('refuses a batch of 1,400 logins (the right password last) without evaluating any', async () => {
		const n = 1400;
		const body: Record<string, { json: { password: string } }> = {};
		for (let i = 0; i < n; i++)
			body[i] = { json: { password: i === n - 1 ? TEST_PASSWORD : `wrong guess ${i}` } };
		const res = await fetch(
			`${server.url}/api/trpc/${Array(n).fill('auth.login').join(',')}?batch=1`,
			{ method: 'POST', headers: json(server), body: JSON.stringify(body) }
		);
		expect(res.status).toBe(400);
		expect(res.headers.get('set-cookie')).toBeNull();
		expect(count(server.output(), 'login failed')).toBe(0);
		// A two-item batch is refused the same way.
		const two = await fetch(`${server.url}/api/trpc/auth.me,auth.login?batch=1`, {
			method: 'POST',
			headers: json(server),
			body: JSON.stringify({ 0: { json: null }, 1: { json: { password: TEST_PASSWORD } } })
		});
		expect(two.status).toBe(400);
		expect(two.headers.get('set-cookie')).toBeNull();
	});

	it('200 parallel wrong logins evaluate at most 5 guesses; the right password is then refused', async () => {
		const statuses = await Promise.all(
			Array.from({ length: 200 }, (_, i) =>
				loginOnce(server, `parallel wrong ${i}`).then((r) => r.status)
			)
		);
		// 5 free tries (throttle.ts); every other request is refused before its password is checked.
		expect(
			count(server.output(), '"msg":"login failed: wrong name or password"')
		).toBeLessThanOrEqual(5);
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
		for (let i = 0; i < 11; i++)
			statuses.push((await loginOnce(server, `sequential wrong ${i}`)).status);
		expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
		expect(statuses[10]).toBe(429);
		const body = await (await loginOnce(server, 'one more')).json();
		expect(body.error.json.data.code).toBe('TOO_MANY_REQUESTS');
		// 5 wrong passwords + 7 refusals, one log line each, with the address.
		const log = server.output();
		expect(count(log, '"msg":"login failed: wrong name or password","address":"127.0.0.1"')).toBe(
			5
		);
		expect(count(log, '"msg":"login refused: too many attempts","address":"127.0.0.1"')).toBe(7);
	});
});

describe('client address behind a reverse proxy', () => {
	it('without VMW_TRUSTED_PROXIES a forwarded header is ignored: every guess counts against the socket address', async () => {
		const server = await startServer();
		try {
			for (let i = 0; i < 5; i++)
				expect(
					(await loginOnce(server, `wrong ${i}`, { 'x-forwarded-for': `203.0.113.${i}` })).status
				).toBe(401);
			const right = await loginOnce(server, TEST_PASSWORD, { 'x-forwarded-for': '203.0.113.200' });
			expect(right.status).toBe(429);
		} finally {
			await server.stop();
		}
	});

	it('refuses to start with VMW_ADDRESS_HEADER but no trusted proxies', async () => {
		const { code, output } = await startExpectingFailure({
			VMW_ADDRESS_HEADER: 'X-Forwarded-For',
			VMW_HOST: '127.0.0.1'
		});
		expect(code).not.toBe(0);
		expect(output).toContain('VMW_ADDRESS_HEADER: needs VMW_TRUSTED_PROXIES');
	});

	describe('with the proxy trusted and a stored scrypt hash', () => {
		let server: RunningServer;
		let password: string;
		beforeAll(async () => {
			// 1 s samples (fresh for 3 s): the shared 2-core test machine runs other suites meanwhile.
			server = await startServer({
				VMW_ADMIN_PASSWORD: '',
				VMW_ADDRESS_HEADER: 'X-Forwarded-For',
				VMW_TRUSTED_PROXIES: '127.0.0.1',
				VMW_SAMPLE_INTERVAL_MS: '1000'
			});
			const token = /setup token: (\S+?)"/.exec(server.output())![1];
			password = 'stored scrypt password 42';
			const res = await fetch(`${server.url}/api/trpc/auth.setup`, {
				method: 'POST',
				headers: json(server),
				body: JSON.stringify({ json: { token, password } })
			});
			expect(res.status).toBe(200);
		});
		afterAll(() => server?.stop());

		it('each forwarded client has its own throttle', async () => {
			for (let i = 0; i < 5; i++)
				expect(
					(await loginOnce(server, `wrong ${i}`, { 'x-forwarded-for': '203.0.113.1' })).status
				).toBe(401);
			expect((await loginOnce(server, password, { 'x-forwarded-for': '203.0.113.1' })).status).toBe(
				429
			);
			expect((await loginOnce(server, password, { 'x-forwarded-for': '203.0.113.2' })).status).toBe(
				200
			);
			expect(server.output()).toContain(
				'"msg":"login refused: too many attempts","address":"203.0.113.1"'
			);
		});

		it('200 parallel logins from 200 addresses do not starve the sampler: /healthz stays 200', async () => {
			let polling = true;
			const health: number[] = [];
			const poller = (async () => {
				while (polling) {
					health.push((await fetch(`${server.url}/healthz`)).status);
					await new Promise((r) => setTimeout(r, 100));
				}
			})();
			const statuses = await Promise.all(
				Array.from({ length: 200 }, (_, i) =>
					loginOnce(server, `flood ${i}`, { 'x-forwarded-for': `198.51.100.${i % 250}` }).then(
						(r) => r.status
					)
				)
			);
			// Let the sampler's freshness window (3 × 1 s) pass after the flood.
			await new Promise((r) => setTimeout(r, 3100));
			polling = false;
			await poller;
			// One scrypt at a time, 4 per second: most of the flood is refused as busy (429).
			expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(100);
			expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
			expect(health.length).toBeGreaterThan(5);
			expect(health.filter((s) => s !== 200)).toEqual([]);
		});
	});
});

describe('DNS rebinding with VMW_AUTH=off', () => {
	let server: RunningServer;
	beforeAll(async () => (server = await startServer({ VMW_AUTH: 'off' })));
	afterAll(() => server?.stop());

	it('serves loopback Host values and refuses any other name', async () => {
		const port = new URL(server.url).port;
		expect((await raw(server.url, '/api/vm/health', { host: `127.0.0.1:${port}` })).status).toBe(
			200
		);
		expect((await raw(server.url, '/api/vm/health', { host: `localhost:${port}` })).status).toBe(
			200
		);
		const rebind = await raw(server.url, '/api/vm/health', {
			host: `rebind.attacker.example:${port}`
		});
		expect(rebind.status).toBe(421);
		expect(rebind.body).not.toMatch(/steal|memAvailable/);
		expect((await raw(server.url, '/', { host: 'rebind.attacker.example' })).status).toBe(421);
	});
});

describe('sessions, tokens, errors and files', () => {
	let server: RunningServer;
	let cookie: string;
	beforeAll(async () => {
		server = await startServer();
		const res = await loginOnce(server, TEST_PASSWORD);
		expect(res.status).toBe(200);
		cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
	});
	afterAll(() => server?.stop());

	it('next=/%09/evil.example after login stays on this site', async () => {
		for (const next of [
			'/%09/evil.example',
			'/%0a/evil.example',
			'//evil.example',
			'https://evil.example/'
		]) {
			const res = await fetch(`${server.url}/login?next=${next}`, {
				headers: { cookie },
				redirect: 'manual'
			});
			expect({ next, status: res.status, location: res.headers.get('location') }).toEqual({
				next,
				status: 303,
				location: '/'
			});
		}
		const ok = await fetch(`${server.url}/login?next=%2Fvm`, {
			headers: { cookie },
			redirect: 'manual'
		});
		expect(ok.headers.get('location')).toBe('/vm');
	});

	it('the origin check is waived only for a bearer token that authenticated', async () => {
		const post = (authorization: string) =>
			fetch(`${server.url}/api/trpc/auth.logout`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', authorization, cookie },
				body: '{}'
			});
		for (const junk of ['Basic junk', 'Bearer wrong-token', 'Token x'])
			expect((await post(junk)).status).toBe(403);
	});

	it('the Bearer scheme is case-insensitive; auth.logout is session-only', async () => {
		for (const scheme of ['bearer', 'BEARER'])
			expect(
				(
					await fetch(`${server.url}/api/vm/health`, {
						headers: { authorization: `${scheme} ${TEST_TOKEN}` }
					})
				).status
			).toBe(200);
		const res = await fetch(`${server.url}/api/trpc/auth.logout`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}` },
			body: '{}'
		});
		expect(res.status).toBe(403);
		expect((await res.json()).error.json.data.code).toBe('FORBIDDEN');
	});

	it('errors carry no stack outside development (README starts the server without NODE_ENV)', async () => {
		const res = await loginOnce(server, 'a wrong password');
		const body = await res.text();
		expect(res.status).toBe(401);
		expect(body).toContain('Wrong name or password.');
		expect(body).not.toMatch(/stack|at .*\.js:\d+/);
	});

	it('log out everywhere ends the session', async () => {
		const other = (await loginOnce(server, TEST_PASSWORD)).headers.get('set-cookie')!.split(';')[0];
		const res = await fetch(`${server.url}/api/trpc/auth.logoutEverywhere`, {
			method: 'POST',
			headers: { ...json(server), cookie },
			body: '{}'
		});
		expect(res.status).toBe(200);
		for (const c of [cookie, other])
			expect(
				(await fetch(`${server.url}/vm`, { headers: { cookie: c }, redirect: 'manual' })).status
			).toBe(303);
	});

	it('the database and its -wal/-shm are 0600, their directory 0700', async () => {
		const { stat } = await import('node:fs/promises');
		const mode = async (p: string) => ((await stat(p)).mode & 0o777).toString(8);
		expect(await mode(server.dataDir)).toBe('700');
		for (const f of ['vmwarden.db', 'vmwarden.db-wal', 'vmwarden.db-shm'])
			expect({ f, mode: await mode(`${server.dataDir}/${f}`) }).toEqual({ f, mode: '600' });
	});
});

describe('audit record of logins and its CSV export', () => {
	let server: RunningServer;
	beforeAll(async () => (server = await startServer()));
	afterAll(() => server?.stop());

	it('a failed and a successful login are rows; the admin exports them as CSV, the read token may not', async () => {
		expect((await loginOnce(server, 'not the password')).status).toBe(401);
		const ok = await loginOnce(server, TEST_PASSWORD);
		expect(ok.status).toBe(200);
		const cookie = ok.headers.get('set-cookie')!.split(';')[0];

		expect(
			(
				await fetch(`${server.url}/api/audit/actions.csv`, {
					headers: { authorization: `Bearer ${TEST_TOKEN}` }
				})
			).status
		).toBe(403);
		expect((await fetch(`${server.url}/api/audit/actions.csv`)).status).toBe(401);
		const res = await fetch(`${server.url}/api/audit/actions.csv`, { headers: { cookie } });
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
		const lines = (await res.text()).trim().split('\r\n');
		expect(lines[0]).toBe(
			'id,time,hostId,actor,address,action,target,input,outcome,result,endedAt'
		);
		expect(lines.slice(1).map((l) => l.split('","').slice(3, 10).join('|'))).toEqual([
			'anonymous|127.0.0.1|auth.login|admin||error|Wrong name or password.',
			'anonymous|127.0.0.1|auth.login|admin||ok|done'
		]);
		expect(lines.join('\n')).not.toContain(TEST_PASSWORD);
	});
});

describe('headers on every route kind, and no secret in any body or log line', () => {
	let server: RunningServer;
	let cookie: string;
	const bodies: string[] = [];
	beforeAll(async () => {
		server = await startServer();
		cookie = (await loginOnce(server, TEST_PASSWORD)).headers.get('set-cookie')!.split(';')[0];
	});
	afterAll(() => server?.stop());

	const get = async (path: string, headers: Record<string, string> = {}) => {
		const res = await fetch(`${server.url}${path}`, { headers, redirect: 'manual' });
		bodies.push(await res.clone().text());
		return res;
	};

	it.each([
		['page (session)', '/vm', 'session', 200, true],
		['overview page (session)', '/', 'session', 200, true],
		['login page', '/login', 'none', 200, false],
		['redirect to login', '/vm', 'none', 303, false],
		['tRPC query (session)', '/api/trpc/auth.me', 'session', 200, true],
		['JSON API (token)', '/api/vm/health', 'token', 200, true],
		['JSON API refused', '/api/vm/health', 'none', 401, false],
		['metrics (token)', '/metrics', 'token', 200, true],
		['healthz', '/healthz', 'none', 200, false],
		['not found (session)', '/no-such-page', 'session', 404, true],
		['undecodable path', '/%ff', 'none', 400, false]
	] as const)('%s', async (_name, path, who, status, authenticated) => {
		const headers: Record<string, string> =
			who === 'session'
				? { cookie }
				: who === 'token'
					? { authorization: `Bearer ${TEST_TOKEN}` }
					: {};
		const res =
			path === '/%ff'
				? await raw(server.url, path).then((r) => ({ status: r.status, headers: new Headers() }))
				: await get(path, headers);
		expect(res.status).toBe(status);
		if (path === '/%ff') return; // raw(): headers checked by the next case's shape
		expect(res.headers.get('x-content-type-options')).toBe('nosniff');
		expect(res.headers.get('referrer-policy')).toBe('same-origin');
		expect(res.headers.get('x-frame-options')).toBe('DENY');
		if (authenticated) expect(res.headers.get('cache-control')).toBe('no-store');
		if (res.headers.get('content-type')?.startsWith('text/html')) {
			const csp = res.headers.get('content-security-policy') ?? '';
			expect(csp).toContain("frame-ancestors 'none'");
			expect(csp).toMatch(/script-src 'self'/);
			expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
		}
	});

	it('static files under /_app/ carry nosniff too (adapter-node serves them before handle)', async () => {
		const page = await (await get('/login')).text();
		const asset = /\/_app\/immutable\/[^"']+\.js/.exec(page)?.[0];
		expect(asset).toBeTruthy();
		for (const p of [asset!, '/_app/version.json']) {
			const res = await fetch(`${server.url}${p}`);
			expect({ p, status: res.status }).toEqual({ p, status: 200 });
			expect({ p, nosniff: res.headers.get('x-content-type-options') }).toEqual({
				p,
				nosniff: 'nosniff'
			});
			expect(res.headers.get('x-frame-options')).toBe('DENY');
		}
	});

	it('an unknown /api/ path answers JSON 404, not the HTML error page', async () => {
		for (const headers of [{ cookie }, { authorization: `Bearer ${TEST_TOKEN}` }] as Record<
			string,
			string
		>[]) {
			const res = await get('/api/no-such-endpoint', headers);
			expect(res.status).toBe(404);
			expect(res.headers.get('content-type')).toMatch(/^application\/json/);
			expect(await res.json()).toEqual({ error: 'not found' });
			expect(res.headers.get('x-content-type-options')).toBe('nosniff');
		}
		// A page path keeps the HTML page.
		expect((await get('/no-such-page', { cookie })).headers.get('content-type')).toMatch(
			/^text\/html/
		);
	});

	it('no response body and no log line carries the admin password or the API token', () => {
		expect(bodies.length).toBeGreaterThan(8);
		for (const secret of [TEST_PASSWORD, TEST_TOKEN]) {
			expect(bodies.filter((b) => b.includes(secret))).toEqual([]);
			expect(server.output()).not.toContain(secret);
		}
		// Nor any password hash.
		expect(bodies.join('\n') + server.output()).not.toMatch(/scrypt\$/);
	});
});

describe('managed API tokens over HTTP', () => {
	let server: RunningServer;
	beforeAll(async () => (server = await startServer()));
	afterAll(() => server?.stop());

	it('an admin creates a read token, it reads, cannot mutate, and fails on the request after its revocation', async () => {
		const cookie = (await loginOnce(server, TEST_PASSWORD)).headers
			.get('set-cookie')!
			.split(';')[0];
		const mutate = (path: string, input: unknown, headers: Record<string, string>) =>
			fetch(`${server.url}/api/trpc/${path}`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', ...headers },
				body: JSON.stringify({ json: input })
			});
		const created = await mutate(
			'tokens.create',
			{ name: 'grafana', scope: 'read', expiresInDays: null },
			{ cookie, origin: server.url }
		);
		expect(created.status).toBe(200);
		const { id, secret } = (await created.json()).result.data.json;
		const auth = { authorization: `Bearer ${secret}` };
		expect((await fetch(`${server.url}/api/vm/health`, { headers: auth })).status).toBe(200);
		expect(
			(
				await mutate(
					'users.create',
					{ name: 'x', role: 'admin', password: 'long enough pass' },
					auth
				)
			).status
		).toBe(403);
		expect((await mutate('tokens.revoke', { id }, { cookie, origin: server.url })).status).toBe(
			200
		);
		expect((await fetch(`${server.url}/api/vm/health`, { headers: auth })).status).toBe(401);
		expect(server.output()).not.toContain(secret);
	});
});

describe('trusted reverse-proxy login (part 3)', () => {
	const env = {
		VMW_PROXY_USER_HEADER: 'Remote-User',
		VMW_PROXY_GROUP_ROLES: 'vmw-admins:admin,staff:viewer'
	};

	it('from a trusted proxy the user header logs in with the mapped role; without a mapped group, no role', async () => {
		const server = await startServer({ ...env, VMW_TRUSTED_PROXIES: '127.0.0.1' });
		try {
			const page = (headers: Record<string, string>) =>
				fetch(`${server.url}/vm`, { headers, redirect: 'manual' }).then((r) => r.status);
			expect(await page({ 'remote-user': 'olga', 'remote-groups': 'staff' })).toBe(200);
			expect(await page({ 'remote-user': 'olga', 'remote-groups': 'nobody' })).toBe(303);
			expect(await page({ 'remote-groups': 'vmw-admins' })).toBe(303);
			const csv = await fetch(`${server.url}/api/audit/actions.csv`, {
				headers: { 'remote-user': 'olga', 'remote-groups': 'staff' }
			});
			expect(csv.status).toBe(403);
			expect(
				(
					await fetch(`${server.url}/api/audit/actions.csv`, {
						headers: { 'remote-user': 'ann', 'remote-groups': 'vmw-admins' }
					})
				).status
			).toBe(200);
		} finally {
			await server.stop();
		}
	});

	it('the header from an untrusted address is ignored', async () => {
		// Our requests come from 127.0.0.1; only 127.0.0.2 is trusted.
		const server = await startServer({ ...env, VMW_TRUSTED_PROXIES: '127.0.0.2' });
		try {
			const res = await fetch(`${server.url}/api/vm/health`, {
				headers: { 'remote-user': 'mallory', 'remote-groups': 'vmw-admins' }
			});
			expect(res.status).toBe(401);
		} finally {
			await server.stop();
		}
	});
});

describe('session cookie name', () => {
	it('is __Host-vmw_session (Secure) when VMW_ORIGIN is https; a plain vmw_session cookie is then ignored', async () => {
		// adapter-node takes the URL's origin from VMW_ORIGIN; the origin check compares its host.
		const server = await startServer({ VMW_ORIGIN: 'https://vm.example.test' });
		try {
			const res = await fetch(`${server.url}/api/trpc/auth.login`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', origin: 'https://vm.example.test' },
				body: JSON.stringify({ json: { password: TEST_PASSWORD } })
			});
			expect(res.status).toBe(200);
			const setCookie = res.headers.get('set-cookie')!;
			expect(setCookie).toMatch(
				/^__Host-vmw_session=[\w-]{40,}; Expires=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Secure$/
			);
			const id = /^__Host-vmw_session=([\w-]+)/.exec(setCookie)![1];
			const page = (cookie: string) =>
				fetch(`${server.url}/vm`, { headers: { cookie }, redirect: 'manual' }).then(
					(r) => r.status
				);
			expect(await page(`__Host-vmw_session=${id}`)).toBe(200);
			expect(await page(`vmw_session=${id}`)).toBe(303);
		} finally {
			await server.stop();
		}
	});
});

describe('CSRF variants against a logged-in admin (issue 21, Keep)', () => {
	let server: RunningServer;
	let cookie: string;
	beforeAll(async () => {
		server = await startServer();
		cookie = (await loginOnce(server, TEST_PASSWORD)).headers.get('set-cookie')!.split(';')[0];
	});
	afterAll(() => server?.stop());

	const mute = (key: string, headers: Record<string, string>, method = 'POST') =>
		fetch(`${server.url}/api/trpc/alerts.mute`, {
			method,
			headers: { cookie, ...headers },
			body: JSON.stringify({ json: { key, minutes: 5 } })
		});
	const mutedKeys = async () =>
		(
			(await (await fetch(`${server.url}/api/trpc/alerts.status`, { headers: { cookie } })).json())
				.result.data.json.mutes as { key: string }[]
		).map((m) => m.key);

	it.each([
		[
			'a foreign Origin',
			'disk',
			{ 'content-type': 'application/json', origin: 'https://evil.example' },
			'POST'
		],
		[
			'Origin: null (sandboxed frame, file://)',
			'swap',
			{ 'content-type': 'application/json', origin: 'null' },
			'POST'
		],
		['no Origin at all', 'steal', { 'content-type': 'application/json' }, 'POST'],
		[
			'Sec-Fetch-Site: cross-site beside our Origin',
			'load',
			{ 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
			'POST'
		],
		[
			'Sec-Fetch-Site: same-site (a sibling subdomain)',
			'memory',
			{ 'content-type': 'application/json', 'sec-fetch-site': 'same-site' },
			'POST'
		],
		['a form post (text/plain)', 'cpu', { 'content-type': 'text/plain' }, 'POST'],
		[
			'a form post (urlencoded)',
			'docker',
			{ 'content-type': 'application/x-www-form-urlencoded' },
			'POST'
		],
		['PUT', 'ollama', { 'content-type': 'application/json' }, 'PUT']
	] as const)('refuses %s with 403 and changes nothing', async (_name, key, headers, method) => {
		const withOrigin =
			'origin' in headers || _name === 'no Origin at all'
				? headers
				: { ...headers, origin: server.url };
		const res = await mute(key, withOrigin, method);
		expect(res.status).toBe(403);
		expect(await mutedKeys()).not.toContain(key);
	});

	it('the same request from this origin goes through (the control)', async () => {
		const res = await mute('score', {
			'content-type': 'application/json',
			origin: server.url,
			'sec-fetch-site': 'same-origin'
		});
		expect(res.status).toBe(200);
		expect(await mutedKeys()).toContain('score');
	});

	it('a cross-site read of the tRPC endpoint is refused too', async () => {
		for (const headers of [
			{ origin: 'https://evil.example' },
			{ 'sec-fetch-site': 'cross-site' }
		] as Record<string, string>[])
			expect(
				(await fetch(`${server.url}/api/trpc/alerts.status`, { headers: { cookie, ...headers } }))
					.status
			).toBe(403);
	});
});

describe('proxy login with VMW_PROXY_SECRET (issue 21 item 7)', () => {
	const env = {
		VMW_PROXY_USER_HEADER: 'Remote-User',
		VMW_PROXY_GROUP_ROLES: 'vmw-admins:admin',
		VMW_TRUSTED_PROXIES: '127.0.0.1,::1'
	};
	const admin = { 'remote-user': 'mallory', 'remote-groups': 'vmw-admins' };

	it('without the secret a local process naming a user is not logged in; the proxy with it is', async () => {
		const secret = 'proxy-secret-for-the-test-0123456789';
		const server = await startServer({ ...env, VMW_PROXY_SECRET: secret });
		try {
			expect((await fetch(`${server.url}/api/audit/actions.csv`, { headers: admin })).status).toBe(
				401
			);
			expect(
				(
					await fetch(`${server.url}/api/audit/actions.csv`, {
						headers: { ...admin, 'x-vmwarden-proxy-secret': 'wrong' }
					})
				).status
			).toBe(401);
			expect(
				(
					await fetch(`${server.url}/api/audit/actions.csv`, {
						headers: { ...admin, 'x-vmwarden-proxy-secret': secret }
					})
				).status
			).toBe(200);
			expect(server.output()).not.toContain('proxy login trusts a loopback address');
			expect(server.output()).not.toContain(secret);
		} finally {
			await server.stop();
		}
	});

	it('trusting loopback without the secret warns at start-up', async () => {
		const server = await startServer(env);
		try {
			expect(server.output()).toContain(
				'proxy login trusts a loopback address without VMW_PROXY_SECRET'
			);
		} finally {
			await server.stop();
		}
	});
});

describe('SSE subscriptions check the origin', () => {
	let server: RunningServer;
	beforeAll(async () => (server = await startServer()));
	afterAll(() => server?.stop());

	it('a cross-site EventSource request is refused; a same-origin one streams', async () => {
		const sse = (headers: Record<string, string>) => {
			const ac = new AbortController();
			return fetch(`${server.url}/api/trpc/health.live`, {
				headers: { accept: 'text/event-stream', authorization: `Bearer ${TEST_TOKEN}`, ...headers },
				signal: ac.signal
			}).then((r) => {
				ac.abort();
				return r.status;
			});
		};
		expect(await sse({ origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' })).toBe(403);
		expect(await sse({ origin: server.url, 'sec-fetch-site': 'same-origin' })).toBe(200);
	});
});
