// server.js answers the polled GETs on the fast lane (src/lib/server/fast-lane.ts): the same
// answers `handle` gives, and everything it does not take still reaches SvelteKit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, TEST_TOKEN, type RunningServer } from '../helpers/server';
import { createVmwardenClient } from '../../src/lib/client';

const bearer = { authorization: `Bearer ${TEST_TOKEN}` };
const input = (v: unknown) => encodeURIComponent(JSON.stringify(v));
/** A response's headers without the transport ones (who answered decides those). */
const headersOf = (res: Response) =>
	Object.fromEntries(
		[...res.headers].filter(
			([name]) =>
				!['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(name)
		)
	);
/** The lane writes a length; SvelteKit and tRPC stream the answer (chunked): this tells who answered. */
const byLane = (res: Response) =>
	res.headers.get('content-length') !== null && res.headers.get('transfer-encoding') === null;

describe('fast lane', () => {
	let server: RunningServer;
	beforeAll(async () => {
		// one sample per minute: every answer in this file is about the same sample
		server = await startServer({ VMW_SAMPLE_INTERVAL_MS: '60000' });
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
		const res = await fetch(`${server.url}/api/vm/health`, {
			headers: { authorization: 'Bearer wrong-token-of-some-length-000' }
		});
		expect(res.status).toBe(401);
		expect(res.headers.get('www-authenticate')).toBe('Bearer realm="vmwarden"');
		expect(await res.json()).toEqual({
			error: 'authentication required: log in or send Authorization: Bearer <API token>'
		});
		// without any credentials the request goes on to handle, which answers the same
		const slow = await fetch(`${server.url}/api/vm/health`);
		expect(slow.status).toBe(401);
		expect(await slow.json()).toEqual({
			error: 'authentication required: log in or send Authorization: Bearer <API token>'
		});
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
		expect(
			(await fetch(`${server.url}/api/vm/health`, { method: 'HEAD', headers: bearer })).status
		).toBe(200);
		// a POST is handle's to judge: its cross-site mutation check refuses a non-JSON body
		expect(
			(await fetch(`${server.url}/api/vm/health`, { method: 'POST', headers: bearer })).status
		).toBe(403);
		expect((await fetch(`${server.url}/vm`, { redirect: 'manual' })).status).toBe(303);
	});

	describe('tRPC health.snapshot', () => {
		// the same call with hostId given is not the lane's: SvelteKit and tRPC answer it
		const single = () => `${server.url}/api/trpc/health.snapshot`;
		const viaTrpc = () =>
			`${server.url}/api/trpc/health.snapshot?input=${input({ json: { hostId: 'local' } })}`;
		const batchViaTrpc = () =>
			`${server.url}/api/trpc/health.snapshot?batch=1&input=${input({ 0: { json: { hostId: 'local' } } })}`;

		it('with the token: the bytes and headers tRPC gives, from the lane', async () => {
			const lane = await fetch(single(), { headers: bearer });
			const trpc = await fetch(viaTrpc(), { headers: bearer });
			expect(lane.status).toBe(200);
			expect(byLane(lane)).toBe(true);
			expect(byLane(trpc)).toBe(false);
			const body = await lane.text();
			expect(body).toBe(await trpc.text());
			expect(JSON.parse(body).result.data.json.hostId).toBe('local');
			expect(headersOf(lane)).toEqual(headersOf(trpc));
			expect(headersOf(lane)).toMatchObject({
				'cache-control': 'no-store',
				'content-type': 'application/json',
				vary: 'trpc-accept, accept',
				'x-frame-options': 'DENY'
			});
		});

		it("the typed client's query() and query({}) are one-call batches the lane answers with tRPC's batch bytes", async () => {
			const reference = await (await fetch(batchViaTrpc(), { headers: bearer })).text();
			const seen: Response[] = [];
			const client = createVmwardenClient({
				url: server.url,
				token: TEST_TOKEN,
				fetch: async (url, init) => {
					const res = await fetch(url, init);
					seen.push(res.clone());
					return res;
				}
			});
			const a = await client.health.snapshot.query();
			const b = await client.health.snapshot.query({});
			expect(seen).toHaveLength(2);
			expect(seen.every(byLane)).toBe(true);
			for (const res of seen) expect(await res.text()).toBe(reference);
			expect(a).toEqual(JSON.parse(reference)[0].result.data.json);
			expect(b).toEqual(a);
			// with a hostId the client's call goes to tRPC and reads the same snapshot
			expect(await client.health.snapshot.query({ hostId: 'local' })).toEqual(a);
			expect(byLane(seen[2])).toBe(false);
		});

		it("a wrong token is handed on: tRPC's own UNAUTHORIZED, as without the lane", async () => {
			const wrong = { authorization: 'Bearer wrong-token-of-some-length-000' };
			const lane = await fetch(single(), { headers: wrong });
			const trpc = await fetch(viaTrpc(), { headers: wrong });
			expect(lane.status).toBe(401);
			expect(byLane(lane)).toBe(false);
			const body = await lane.json();
			expect(body.error.json.data).toMatchObject({ code: 'UNAUTHORIZED', path: 'health.snapshot' });
			expect(body).toEqual(await trpc.json());
		});

		it('what handle judges stays with handle: a cross-site Origin, Sec-Fetch-Site, another host, extra parameters', async () => {
			const cross = await fetch(single(), {
				headers: { ...bearer, origin: 'https://evil.example' }
			});
			expect(cross.status).toBe(403);
			expect(await cross.json()).toEqual({
				error: 'cross-origin request refused (Origin: https://evil.example)'
			});
			const sameSite = await fetch(single(), {
				headers: { ...bearer, 'sec-fetch-site': 'same-site' }
			});
			expect(sameSite.status).toBe(403);
			const sameOrigin = await fetch(single(), {
				headers: { ...bearer, 'sec-fetch-site': 'same-origin' }
			});
			expect(sameOrigin.status).toBe(200);
			expect(byLane(sameOrigin)).toBe(false);
			const other = await fetch(
				`${server.url}/api/trpc/health.snapshot?input=${input({ json: { hostId: 'other-vm' } })}`,
				{ headers: bearer }
			);
			expect(other.status).toBe(404);
			const extra = await fetch(`${single()}?batch=1&input=${input({ 0: { json: {} } })}&x=1`, {
				headers: bearer
			});
			expect(extra.status).toBe(200);
			expect(byLane(extra)).toBe(false);
		});
	});
});
