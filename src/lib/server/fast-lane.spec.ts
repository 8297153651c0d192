import { describe, expect, it } from 'vitest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createFastLane, snapshotCallOf } from './fast-lane';
import { unauthenticatedResponse } from './auth/bearer';
import type { Services } from './services';

const q = (params: Record<string, unknown>) =>
	new URLSearchParams(
		Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])
	).toString();
const UNDEFINED = { json: null, meta: { values: ['undefined'], v: 1 } };

describe('snapshotCallOf: the health.snapshot calls the fast lane answers', () => {
	it("no query string, and the typed client's query() and query({}) batches", () => {
		expect(snapshotCallOf('')).toBe('single');
		expect(snapshotCallOf(q({ batch: '1', input: { 0: UNDEFINED } }))).toBe('batch');
		expect(
			snapshotCallOf(
				q({ batch: '1', input: { 0: { json: null, meta: { values: ['undefined'] } } } })
			)
		).toBe('batch');
		expect(snapshotCallOf(q({ batch: '1', input: { 0: { json: {} } } }))).toBe('batch');
		// the client's exact URL (percent-encoded JSON)
		expect(
			snapshotCallOf(
				'batch=1&input=%7B%220%22%3A%7B%22json%22%3Anull%2C%22meta%22%3A%7B%22values%22%3A%5B%22undefined%22%5D%2C%22v%22%3A1%7D%7D%7D'
			)
		).toBe('batch');
	});

	it('leaves every other call to tRPC: a hostId, several calls, other inputs, extra or repeated parameters, bad JSON', () => {
		for (const search of [
			q({ input: { json: {} } }),
			q({ batch: '1', input: { 0: { json: { hostId: 'local' } } } }),
			q({ batch: '1', input: { 0: { json: {} }, 1: { json: {} } } }),
			q({ batch: '1', input: { 1: { json: {} } } }),
			q({ batch: '1', input: { 0: { json: [] } } }),
			q({ batch: '1', input: { 0: { json: {}, meta: {} } } }),
			q({ batch: '1', input: { 0: { json: null } } }),
			q({ batch: '1', input: { 0: { json: null, meta: { values: ['undefined'], v: 2 } } } }),
			q({ batch: '1', input: { 0: { json: null, meta: { values: ['undefined'], extra: 1 } } } }),
			q({ batch: '1', input: { 0: { json: null, meta: { values: { '': ['Date'] } } } } }),
			q({ batch: '1', input: { 0: UNDEFINED }, x: '1' }),
			`${q({ batch: '1', input: { 0: UNDEFINED } })}&batch=1`,
			q({ batch: 'true', input: { 0: UNDEFINED } }),
			q({ batch: '1' }),
			'batch=1&input=%7B',
			'batch=1&input=null',
			'batch=1&input=%5B%5D',
			'x=1',
			'?'
		]) {
			expect(snapshotCallOf(search), search).toBeNull();
		}
	});
});

describe('the lane and handle share the bearer rule and the 401 (auth/bearer.ts)', () => {
	const TOKEN = 't'.repeat(32);
	// authenticate as Auth's: the Bearer header alone decides (this stand-in knows one token)
	const services = {
		config: { auth: { enabled: true, proxyLogin: null } },
		auth: {
			authenticate: async ({ authorization }: { authorization: string }) =>
				/^bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization)?.[1] === TOKEN
					? { role: 'viewer', via: 'token' }
					: null
		},
		metrics: { contentType: 'text/plain; version=0.0.4', metrics: async () => 'up 1\n' }
	} as unknown as Services;

	function call(authorization: string) {
		const req = {
			method: 'GET',
			url: '/metrics',
			headers: { authorization }
		} as unknown as IncomingMessage;
		let resolve: (v: {
			status: number;
			headers: Record<string, unknown>;
			body: string;
		}) => void = () => {};
		const answered = new Promise<{
			status: number;
			headers: Record<string, unknown>;
			body: string;
		}>((r) => (resolve = r));
		let head: { status: number; headers: Record<string, unknown> } = { status: 0, headers: {} };
		const res = {
			headersSent: false,
			writeHead: (status: number, headers: Record<string, unknown>) =>
				void (head = { status, headers }),
			end: (body: string) => resolve({ ...head, body })
		} as unknown as ServerResponse;
		const taken = createFastLane(services)(req, res, () => {});
		return { taken, answered };
	}

	it('takes a Bearer header whatever the case of its scheme, as handle reads it', async () => {
		const { taken, answered } = call(`bearer ${TOKEN}`);
		expect(taken).toBe(true);
		expect(await answered).toMatchObject({ status: 200, body: 'up 1\n' });
	});

	it('hands on a header that is not a Bearer token (handle may find a session cookie beside it)', () => {
		for (const authorization of ['Bearer a b', 'Bearer', 'Basic dXNlcjpwdw=='])
			expect(call(authorization).taken, authorization).toBe(false);
	});

	it("answers a wrong token with handle's 401: status, body and challenge", async () => {
		const { taken, answered } = call('Bearer wrong-token');
		expect(taken).toBe(true);
		const lane = await answered;
		const handle = unauthenticatedResponse();
		expect(lane.status).toBe(handle.status);
		expect(lane.body).toBe(await handle.text());
		for (const name of ['content-type', 'www-authenticate', 'content-length'])
			expect(String(lane.headers[name]), name).toBe(handle.headers.get(name));
	});
});
