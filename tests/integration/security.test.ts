// Security probes against the BUILT server (issue 16 part 0): each one reproduced a defect
// of the landed foundation before its fix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { startServer, TEST_TOKEN, type RunningServer } from '../helpers/server';

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
