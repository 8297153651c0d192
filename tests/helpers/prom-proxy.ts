/**
 * A loopback HTTP proxy in front of the rig's shared Prometheus, so a test can make "Prometheus"
 * misbehave without stopping the real one (others' tests use it):
 *   pass      forward as is
 *   down      stop listening: connections are refused (ECONNREFUSED), as for a stopped server
 *   503       answer 503 Service Unavailable with a plain-text body, as a reverse proxy does
 *   warnings  forward, adding `warnings` to every successful PromQL answer
 *   hang      accept the request and never answer
 */
import {
	createServer,
	request,
	type IncomingMessage,
	type ServerResponse,
	type Server
} from 'node:http';
import type { Socket } from 'node:net';

export type ProxyMode = 'pass' | 'down' | '503' | 'warnings' | 'hang';

export interface PromProxy {
	url: string;
	mode: ProxyMode;
	/** requests seen (all modes but down) */
	requests: number;
	set(mode: ProxyMode): Promise<void>;
	close(): Promise<void>;
}

export const PROXY_WARNING =
	'synthetic warning from the trends test proxy: a store was unreachable';

export async function startPromProxy(targetUrl: string): Promise<PromProxy> {
	const target = new URL(targetUrl);
	const sockets = new Set<Socket>();
	const hung = new Set<ServerResponse>();
	let port = 0;
	let server: Server;

	const proxy: PromProxy = {
		url: '',
		mode: 'pass',
		requests: 0,
		async set(mode) {
			if (mode === proxy.mode) return;
			if (mode === 'down') await stop();
			else if (proxy.mode === 'down') await listen();
			if (proxy.mode === 'hang') for (const res of hung) res.destroy();
			hung.clear();
			proxy.mode = mode;
		},
		async close() {
			for (const res of hung) res.destroy();
			if (proxy.mode !== 'down') await stop();
		}
	};

	function handle(req: IncomingMessage, res: ServerResponse) {
		proxy.requests++;
		if (proxy.mode === 'hang') {
			hung.add(res);
			return;
		}
		if (proxy.mode === '503') {
			res.writeHead(503, { 'content-type': 'text/plain' }).end('Service Unavailable');
			return;
		}
		// uncompressed, so 'warnings' can rewrite the JSON
		const { 'accept-encoding': _enc, ...headers } = req.headers;
		const upstream = request(
			{
				hostname: target.hostname,
				port: target.port,
				path: req.url,
				method: req.method,
				headers: { ...headers, host: target.host }
			},
			(up) => {
				if (proxy.mode !== 'warnings') {
					res.writeHead(up.statusCode ?? 502, up.headers);
					up.pipe(res);
					return;
				}
				const chunks: Buffer[] = [];
				up.on('data', (c) => chunks.push(c));
				up.on('end', () => {
					let body = Buffer.concat(chunks).toString();
					try {
						const json = JSON.parse(body);
						if (json.status === 'success')
							json.warnings = [...(json.warnings ?? []), PROXY_WARNING];
						body = JSON.stringify(json);
					} catch {
						/* not JSON: pass through */
					}
					const headers = { ...up.headers };
					delete headers['content-length'];
					delete headers['content-encoding'];
					res.writeHead(up.statusCode ?? 502, headers).end(body);
				});
			}
		);
		upstream.on('error', () => res.writeHead(502).end());
		req.pipe(upstream);
	}

	function listen(): Promise<void> {
		server = createServer(handle);
		server.on('connection', (s) => {
			sockets.add(s);
			s.on('close', () => sockets.delete(s));
		});
		return new Promise((resolve, reject) => {
			server.once('error', reject);
			server.listen(port, '127.0.0.1', () => {
				port = (server.address() as { port: number }).port;
				proxy.url = `http://127.0.0.1:${port}`;
				resolve();
			});
		});
	}
	function stop(): Promise<void> {
		for (const s of sockets) s.destroy();
		return new Promise((resolve) => server.close(() => resolve()));
	}

	await listen();
	return proxy;
}
