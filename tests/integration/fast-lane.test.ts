// server.js answers the polled GETs on the fast lane (src/lib/server/fast-lane.ts): the same
// answers `handle` gives, and everything it does not take still reaches SvelteKit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, TEST_TOKEN, type RunningServer } from '../helpers/server';

const bearer = { authorization: `Bearer ${TEST_TOKEN}` };

describe('fast lane', () => {
	let server: RunningServer;
	beforeAll(async () => {
		server = await startServer();
	});
	afterAll(() => server?.stop());

	it('is installed in front of SvelteKit (server.js warns when it cannot be)', () => {
		expect(server.output()).not.toContain('fast lane not installed');
	});

	it('GET /api/vm/health with the token: the snapshot JSON, no-store; a query string does not matter', async () => {
		const res = await fetch(`${server.url}/api/vm/health?x=1`, { headers: bearer });
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toBe('application/json');
		expect(res.headers.get('cache-control')).toBe('no-store');
		const body = await res.json();
		expect(body.hostId).toBe('local');
		expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(JSON.stringify(body)));
	});

	it('a wrong token gets the 401 that handle gives, with WWW-Authenticate', async () => {
		const res = await fetch(`${server.url}/api/vm/health`, { headers: { authorization: 'Bearer wrong-token-of-some-length-000' } });
		expect(res.status).toBe(401);
		expect(res.headers.get('www-authenticate')).toBe('Bearer realm="vmwarden"');
		expect(await res.json()).toEqual({ error: 'authentication required: log in or send Authorization: Bearer <API token>' });
		// without any credentials the request goes on to handle, which answers the same
		const slow = await fetch(`${server.url}/api/vm/health`);
		expect(slow.status).toBe(401);
		expect(await slow.json()).toEqual({ error: 'authentication required: log in or send Authorization: Bearer <API token>' });
	});

	it('/metrics with the token is Prometheus text; /healthz needs nothing', async () => {
		const m = await fetch(`${server.url}/metrics`, { headers: bearer });
		expect(m.status).toBe(200);
		expect(m.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
		expect(await m.text()).toMatch(/^vmwarden_load1\{host_id="local"\} [\d.]+$/m);
		const h = await fetch(`${server.url}/healthz`);
		expect(h.status).toBe(200);
		expect(await h.json()).toMatchObject({ status: 'ok', services: { sampler: { ok: true } } });
	});

	it('what it does not take reaches SvelteKit: POST, HEAD, other paths', async () => {
		expect((await fetch(`${server.url}/api/vm/health`, { method: 'HEAD', headers: bearer })).status).toBe(200);
		// a POST is handle's to judge: its cross-site mutation check refuses a non-JSON body
		expect((await fetch(`${server.url}/api/vm/health`, { method: 'POST', headers: bearer })).status).toBe(403);
		expect((await fetch(`${server.url}/vm`, { redirect: 'manual' })).status).toBe(303);
	});

	it('tRPC GETs with the token: a query, a batch, a wrong token (UNAUTHORIZED), an undecodable path (handle: 400)', async () => {
		const one = await fetch(`${server.url}/api/trpc/health.snapshot`, { headers: bearer });
		expect(one.status).toBe(200);
		expect((await one.json()).result.data.json.hostId).toBe('local');

		const batch = await fetch(`${server.url}/api/trpc/health.snapshot,auth.me?batch=1&input=${encodeURIComponent('{}')}`, { headers: bearer });
		expect(batch.status).toBe(200);
		const [snap, me] = await batch.json();
		expect(snap.result.data.json.hostId).toBe('local');
		expect(me.result.data.json.principal).toEqual({ role: 'viewer', via: 'token' });

		const wrong = await fetch(`${server.url}/api/trpc/health.snapshot`, { headers: { authorization: 'Bearer wrong-token-of-some-length-000' } });
		expect(wrong.status).toBe(401);
		expect((await wrong.json()).error.json.data.code).toBe('UNAUTHORIZED');

		expect((await fetch(`${server.url}/api/trpc/health.%E0%A4%A`, { headers: bearer })).status).toBe(400);
	});

	it('a tRPC mutation never takes the fast lane: POST goes through handle (and its same-origin rule)', async () => {
		const res = await fetch(`${server.url}/api/trpc/health.sampleNow`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: '{}' });
		// the read-only token reaches the procedure through handle and is refused by role
		expect(res.status).toBe(403);
		expect((await res.json()).error.json.data.code).toBe('FORBIDDEN');
	});
});
