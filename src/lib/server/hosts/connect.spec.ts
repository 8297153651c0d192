// connect.ts against real loopback servers: TLS with the test CA (hosts/testdata), client
// certificates, timeouts, signals and headers as the far side sees them.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
	closeAllHosts,
	countNodeSeries,
	FORWARDED_MUTATION_EXTRA_MS,
	forgetHost,
	HostTimeoutError,
	probeHost,
	remoteClient,
	remoteDockerApi,
	remoteFetch,
	requestBoundMs
} from './connect';
import { RESTART_ANSWER_MS } from '../docker/containers';
import type { HostRecord } from './types';

const fixture = (name: string) =>
	readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const CA = fixture('ca.pem');

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const servers: (http.Server | https.Server)[] = [];
async function listen(server: http.Server | https.Server): Promise<number> {
	servers.push(server);
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	return (server.address() as AddressInfo).port;
}
const httpServer = (h: Handler) => listen(http.createServer(h));
const tlsServer = (h: Handler, opts: https.ServerOptions = {}) =>
	listen(
		https.createServer({ cert: fixture('server.pem'), key: fixture('server-key.pem'), ...opts }, h)
	);

let n = 0;
function record(over: Partial<HostRecord>): HostRecord {
	n++;
	return {
		id: `h${n}`,
		name: `h${n}`,
		kind: 'vmwarden',
		url: null,
		dockerHost: null,
		nodeExporterUrl: null,
		timeoutMs: 2000,
		hasToken: false,
		hasCaPem: false,
		hasTlsClient: false,
		hasSshKey: false,
		createdAt: 1,
		updatedAt: 1,
		secrets: {},
		...over
	};
}

afterEach(async () => {
	for (const s of servers.splice(0)) {
		s.closeAllConnections();
		s.close();
	}
});
afterAll(() => closeAllHosts());

describe('remoteFetch', () => {
	it('pins the CA: the test CA opens the test server, another CA or the system roots do not', async () => {
		const port = await tlsServer((_req, res) => res.end('hello'));
		const url = `https://127.0.0.1:${port}/`;
		expect(await (await remoteFetch(record({ secrets: { caPem: CA } }))(url)).text()).toBe('hello');
		await expect(
			remoteFetch(record({ secrets: { caPem: fixture('other-ca.pem') } }))(url)
		).rejects.toMatchObject({ cause: { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' } });
		await expect(remoteFetch(record({}))(url)).rejects.toMatchObject({
			cause: { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }
		});
		// the name must match the certificate too (issued for 127.0.0.1 and localhost only; 127.0.0.2 is loopback as well)
		const other = https.createServer(
			{ cert: fixture('server.pem'), key: fixture('server-key.pem') },
			(_req, res) => res.end('x')
		);
		servers.push(other);
		await new Promise<void>((r) => other.listen(0, '127.0.0.2', r));
		await expect(
			remoteFetch(record({ secrets: { caPem: CA } }))(
				`https://127.0.0.2:${(other.address() as AddressInfo).port}/`
			)
		).rejects.toMatchObject({ cause: { code: 'ERR_TLS_CERT_ALTNAME_INVALID' } });
	});

	it('a changed record gets a new connection: a CA added by an edit is used at once', async () => {
		const port = await tlsServer((_req, res) => res.end('ok'));
		const url = `https://127.0.0.1:${port}/`;
		const before = record({ id: 'edited' });
		await expect(remoteFetch(before)(url)).rejects.toThrow();
		const after = { ...before, updatedAt: 2, secrets: { caPem: CA } };
		expect(await (await remoteFetch(after)(url)).text()).toBe('ok');
		forgetHost('edited');
	});

	it('bounds every request by timeoutMs, whatever the caller asked, and still honours the caller signal', async () => {
		const port = await httpServer(() => {}); // accepts, never answers
		const url = `http://127.0.0.1:${port}/`;
		const host = record({ timeoutMs: 300 });
		const t0 = performance.now();
		const err = await remoteFetch(host)(url).catch((e: unknown) => e);
		const took = performance.now() - t0;
		expect(err).toBeInstanceOf(HostTimeoutError);
		expect((err as Error).message).toBe(`no answer from host "${host.id}" within 300 ms`);
		expect(took).toBeGreaterThanOrEqual(290);
		expect(took).toBeLessThan(2000);
		// the caller's own abort wins and is not reported as a timeout
		const ctrl = new AbortController();
		setTimeout(() => ctrl.abort(new Error('caller gave up')), 50);
		const mine = await remoteFetch(record({ timeoutMs: 5000 }))(url, { signal: ctrl.signal }).catch(
			(e: unknown) => e
		);
		expect(mine).not.toBeInstanceOf(HostTimeoutError);
		expect((mine as Error).message).toBe('caller gave up');
	});

	it("a mutation (POST) waits the host timeout plus a restart's answer bound: a hub must not call a restart the host is doing a timeout (issue 20)", async () => {
		// answers after 1 s: longer than the host's 300 ms, as a restart waiting out a stop grace is
		const port = await httpServer((_req, res) => setTimeout(() => res.end('done'), 1_000));
		const url = `http://127.0.0.1:${port}/`;
		const host = record({ timeoutMs: 300 });
		expect(await (await remoteFetch(host)(url, { method: 'POST', body: '{}' })).text()).toBe(
			'done'
		);
		// a query keeps the host's own timeout
		expect(await remoteFetch(host)(url).catch((e: unknown) => e)).toBeInstanceOf(HostTimeoutError);
		expect(requestBoundMs(host, 'POST')).toBe(300 + FORWARDED_MUTATION_EXTRA_MS);
		expect(FORWARDED_MUTATION_EXTRA_MS).toBeGreaterThan(RESTART_ANSWER_MS);
	});

	it('a body that stalls is cut at the timeout too; an event stream is not', async () => {
		const port = await httpServer((req, res) => {
			if (req.url === '/sse') {
				res.writeHead(200, { 'content-type': 'text/event-stream' });
				res.write('data: 1\n\n');
				setTimeout(() => res.end('data: 2\n\n'), 600);
			} else {
				res.writeHead(200, { 'content-type': 'application/json' });
				res.write('{"a":');
				setTimeout(() => res.end('1}'), 600);
			}
		});
		const host = record({ timeoutMs: 300 });
		const stalled = await remoteFetch(host)(`http://127.0.0.1:${port}/json`);
		await expect(stalled.text()).rejects.toBeInstanceOf(HostTimeoutError);
		const sse = await remoteFetch(host)(`http://127.0.0.1:${port}/sse`);
		expect(await sse.text()).toBe('data: 1\n\ndata: 2\n\n');
	});

	it('refuses to follow a redirect (the bearer token would go along)', async () => {
		const port = await httpServer((_req, res) => {
			res.writeHead(302, { location: 'http://127.0.0.1:1/steal' });
			res.end();
		});
		const host = record({
			kind: 'vmwarden',
			url: `http://127.0.0.1:${port}`,
			secrets: { token: 'vmw_secret_token' }
		});
		const r = await probeHost(host);
		expect(r).toEqual({
			ok: false,
			reason: `http://127.0.0.1:${port} answered with a redirect: give the final URL (https:// rather than http://?)`
		});
	});
});

describe('remoteClient', () => {
	it('sends the token as bearer and the hub user in x-vmwarden-on-behalf-of', async () => {
		const seen: http.IncomingHttpHeaders[] = [];
		const port = await httpServer((req, res) => {
			seen.push(req.headers);
			res.writeHead(200, { 'content-type': 'application/json' });
			// a tRPC batch answer of auth.me (superjson)
			res.end(
				JSON.stringify([
					{
						result: {
							data: {
								json: {
									principal: { role: 'operator', via: 'token', tokenId: 4 },
									setupNeeded: false
								}
							}
						}
					}
				])
			);
		});
		const host = record({ url: `http://127.0.0.1:${port}/prefix`, secrets: { token: 'vmw_tok' } });
		const me = await remoteClient(host, { onBehalfOf: 'session:operator:alice' }).auth.me.query();
		expect(me.principal).toEqual({ role: 'operator', via: 'token', tokenId: 4 });
		expect(seen[0].authorization).toBe('Bearer vmw_tok');
		expect(seen[0]['x-vmwarden-on-behalf-of']).toBe('session:operator:alice');
		await remoteClient(host).auth.me.query();
		expect(seen[1]['x-vmwarden-on-behalf-of']).toBeUndefined();
		expect(() => remoteClient(host, { onBehalfOf: 'alice\r\nx-evil: 1' })).toThrow(
			/printable ASCII/
		);
		expect(() => remoteClient({ ...host, kind: 'docker' })).toThrow(/not a vmwarden instance/);
	});
});

describe('remoteDockerApi and the docker probe', () => {
	/** A TLS "Docker Engine" that demands a client certificate from the test CA. */
	async function fakeEngine(metrics = 'node_load1 0.5\nnode_memory_MemAvailable_bytes 1e9\n') {
		const clients: (string | undefined)[] = [];
		const port = await tlsServer(
			(req, res) => {
				const cert = (req.socket as TLSSocket).getPeerCertificate();
				clients.push(String(cert?.subject?.CN));
				if (req.url?.endsWith('/_ping')) return res.end('OK');
				if (req.url?.endsWith('/version')) {
					res.setHeader('content-type', 'application/json');
					return res.end(JSON.stringify({ Version: '27.5.1', ApiVersion: '1.47' }));
				}
				if (req.url === '/metrics') return res.end(metrics);
				res.statusCode = 404;
				res.end();
			},
			{ ca: CA, requestCert: true, rejectUnauthorized: true }
		);
		return { port, clients };
	}

	it('tcp:// with the PEMs from the secrets: the engine sees our client certificate', async () => {
		const { port, clients } = await fakeEngine();
		const host = record({
			kind: 'docker',
			dockerHost: `tcp://127.0.0.1:${port}`,
			secrets: {
				caPem: CA,
				tlsCertPem: fixture('client.pem'),
				tlsKeyPem: fixture('client-key.pem')
			}
		});
		const api = remoteDockerApi(host);
		expect(api).toBe(remoteDockerApi(host)); // cached per host
		expect(api.label).toBe(`tcp+tls://127.0.0.1:${port}`);
		expect(await api.version()).toEqual({ version: '27.5.1', apiVersion: '1.47' });
		expect(clients).toEqual(['hub']);
		expect(await probeHost(host)).toEqual({
			ok: true,
			detail: `Docker 27.5.1 (API 1.47) at tcp+tls://127.0.0.1:${port}; no node_exporter URL (no host figures)`
		});
	});

	it('without the client certificate the engine refuses the handshake, in plain words', async () => {
		const { port } = await fakeEngine();
		const host = record({
			kind: 'docker',
			dockerHost: `tcp://127.0.0.1:${port}`,
			timeoutMs: 2000,
			secrets: { caPem: CA }
		});
		const r = await probeHost(host);
		expect(r).toEqual({
			ok: false,
			reason: `TLS: tcp://127.0.0.1:${port} asks for a client certificate: give the client certificate and key (signed by a CA it trusts)`
		});
	});

	it('node_exporter: checked to be node_exporter text', async () => {
		const ne = await httpServer((req, res) =>
			res.end(
				req.url === '/metrics'
					? '# HELP node_load1 1m load\n# TYPE node_load1 gauge\nnode_load1 0.25\nnode_cpu_seconds_total{cpu="0",mode="idle"} 12\n'
					: 'hello'
			)
		);
		const { port } = await fakeEngine();
		const base = record({
			kind: 'docker',
			dockerHost: `tcp://127.0.0.1:${port}`,
			secrets: {
				caPem: CA,
				tlsCertPem: fixture('client.pem'),
				tlsKeyPem: fixture('client-key.pem')
			}
		});
		expect(await probeHost({ ...base, nodeExporterUrl: `http://127.0.0.1:${ne}/metrics` })).toEqual(
			{
				ok: true,
				detail: `Docker 27.5.1 (API 1.47) at tcp+tls://127.0.0.1:${port}; node_exporter answers with 2 node_* series`
			}
		);
		expect(
			await probeHost({
				...base,
				id: base.id + 'b',
				nodeExporterUrl: `http://127.0.0.1:${ne}/other`
			})
		).toEqual({
			ok: false,
			reason: `Docker 27.5.1 (API 1.47) at tcp+tls://127.0.0.1:${port}, but http://127.0.0.1:${ne}/other is not node_exporter's /metrics (no node_* series in its answer)`
		});
	});

	it('a loopback service that is not Docker: its /version words are never shown (issue 21 item 6)', async () => {
		const port = await httpServer((req, res) => {
			if (req.url?.endsWith('/_ping')) return res.end('OK');
			res.setHeader('content-type', 'application/json');
			res.end(
				JSON.stringify({
					Version: 'consul: acl token 4f1c-secret for service db',
					ApiVersion: '1.47'
				})
			);
		});
		const r = await probeHost(record({ kind: 'docker', dockerHost: `tcp://127.0.0.1:${port}` }));
		expect(r).toEqual({
			ok: false,
			reason: `tcp://127.0.0.1:${port} answered, but not as a Docker Engine`
		});
	});

	it('countNodeSeries counts sample lines of node_* metrics only', () => {
		expect(
			countNodeSeries(
				'# HELP node_x y\n# TYPE node_x gauge\nnode_x 1\nnode_y{a="b"} 2\ngo_goroutines 7\nnodejs_heap 1\n'
			)
		).toBe(2);
		expect(countNodeSeries('<html>node_x</html>')).toBe(0);
	});
});
