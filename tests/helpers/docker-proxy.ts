/**
 * A unix-socket proxy in front of the rig's dockerd that a test can cut, as a socket proxy being
 * restarted or a network blip cuts the app's connection, without touching the shared daemon:
 *   cut()      every open connection is destroyed (a long-lived event stream ends mid-way) and
 *              the socket is gone: new connections fail with ENOENT, as for a stopped proxy
 *   restore()  listens again on the same path
 * Bytes pass as they are; `requests` counts the HTTP requests by path (GET /events streams, …).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface DockerProxy {
	/** unix:///… for VMW_DOCKER_HOST */
	host: string;
	/** request lines seen ("GET /v1.41/events?since=…"), in order */
	requests: string[];
	cut(): Promise<void>;
	restore(): Promise<void>;
	close(): Promise<void>;
}

export async function startDockerProxy(upstreamHost: string): Promise<DockerProxy> {
	if (!upstreamHost.startsWith('unix://'))
		throw new Error(`docker proxy: a unix:// daemon socket is needed, got ${upstreamHost}`);
	const upstream = upstreamHost.slice('unix://'.length);
	const dir = await mkdtemp(path.join(tmpdir(), 'vmw-dproxy-'));
	const socket = path.join(dir, 'docker.sock');
	const open = new Set<Socket>();
	const requests: string[] = [];
	let server: Server | null = null;

	function listen() {
		const s = createServer((client) => {
			const up = createConnection(upstream);
			open.add(client);
			open.add(up);
			client.on('data', (d) => {
				for (const m of d.toString('latin1').matchAll(/^([A-Z]+ \S+) HTTP\/1\.[01]\r$/gm))
					requests.push(m[1]);
			});
			client.pipe(up).pipe(client);
			const end = () => {
				client.destroy();
				up.destroy();
				open.delete(client);
				open.delete(up);
			};
			client.on('error', end);
			up.on('error', end);
			client.on('close', end);
			up.on('close', end);
		});
		server = s;
		return new Promise<void>((resolve, reject) => {
			s.once('error', reject);
			s.listen(socket, () => resolve());
		});
	}

	async function stop() {
		const s = server;
		server = null;
		if (!s) return;
		const closed = new Promise<void>((resolve) => s.close(() => resolve()));
		for (const c of open) c.destroy();
		open.clear();
		await closed;
	}

	await listen();
	return {
		host: `unix://${socket}`,
		requests,
		cut: stop,
		async restore() {
			if (!server) await listen();
		},
		async close() {
			await stop();
			await rm(dir, { recursive: true, force: true });
		}
	};
}
