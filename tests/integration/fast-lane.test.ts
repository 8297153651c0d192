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
});
