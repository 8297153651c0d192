// A private dockerd for tests that stop the daemon mid-test (never the shared rig one):
// own socket, data root, exec root and pidfile under /tmp; no networking of its own.
// The test image is copied in from the rig daemon with `docker save | docker load`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';

export interface OwnDockerd {
	/** unix:///tmp/…/docker.sock */
	host: string;
	docker: Docker;
	/** Stops the daemon (SIGTERM, then SIGKILL after 20 s) and waits for it to exit. */
	stop(): Promise<void>;
	/** Starts it again on the same socket and data root; resolves when it answers. */
	start(): Promise<void>;
	/** Stops it and removes its directories. */
	destroy(): Promise<void>;
}

async function waitForPing(
	docker: Docker,
	child: ChildProcess,
	log: () => string,
	timeoutMs = 60_000
) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (child.exitCode !== null)
			throw new Error(`own dockerd exited with ${child.exitCode}:\n${log().slice(-3000)}`);
		try {
			await docker.ping();
			return;
		} catch {
			/* not up yet */
		}
		if (Date.now() > deadline)
			throw new Error(`own dockerd did not answer in ${timeoutMs} ms:\n${log().slice(-3000)}`);
		await new Promise((r) => setTimeout(r, 200));
	}
}

/** Copies `image` from the rig daemon into `targetHost` (docker save | docker load). */
async function copyImage(image: string, fromHost: string, targetHost: string) {
	await new Promise<void>((resolve, reject) => {
		const save = spawn('docker', ['save', image], {
			env: { ...process.env, DOCKER_HOST: fromHost },
			stdio: ['ignore', 'pipe', 'pipe']
		});
		const load = spawn('docker', ['load', '-q'], {
			env: { ...process.env, DOCKER_HOST: targetHost },
			stdio: ['pipe', 'pipe', 'pipe']
		});
		let err = '';
		save.stderr.on('data', (d) => (err += d));
		load.stderr.on('data', (d) => (err += d));
		save.stdout.pipe(load.stdin);
		load.once('exit', (code) =>
			code === 0 ? resolve() : reject(new Error(`docker load exited ${code}: ${err}`))
		);
		save.once('error', reject);
		load.once('error', reject);
	});
}

export async function startOwnDockerd({
	image,
	rigHost,
	extraArgs = []
}: {
	image?: string;
	rigHost?: string;
	extraArgs?: string[];
}): Promise<OwnDockerd> {
	// Short root: unix socket paths are limited to 108 bytes.
	const dir = await mkdtemp(path.join(tmpdir(), 'vmwd-'));
	const socket = path.join(dir, 'docker.sock');
	const host = `unix://${socket}`;
	const docker = new Docker({ socketPath: socket });
	let child: ChildProcess | null = null;
	let out = '';

	async function start() {
		child = spawn(
			'dockerd',
			[
				'-H',
				host,
				'--data-root',
				path.join(dir, 'data'),
				'--exec-root',
				path.join(dir, 'x'),
				'--pidfile',
				path.join(dir, 'docker.pid'),
				'--bridge=none',
				'--iptables=false',
				'--ip-forward=false',
				'--ip-masq=false',
				...extraArgs
			],
			{ stdio: ['ignore', 'pipe', 'pipe'] }
		);
		child.stdout!.on('data', (d) => (out += d));
		child.stderr!.on('data', (d) => (out += d));
		await waitForPing(docker, child, () => out);
	}

	async function stop() {
		const c = child;
		if (!c || c.exitCode !== null) return;
		const exited = new Promise<void>((r) => c.once('exit', () => r()));
		c.kill('SIGTERM');
		const t = setTimeout(() => c.kill('SIGKILL'), 20_000);
		await exited;
		clearTimeout(t);
		child = null;
	}

	await start();
	try {
		if (image && rigHost) await copyImage(image, rigHost, host);
	} catch (err) {
		await stop();
		await rm(dir, { recursive: true, force: true });
		throw err;
	}
	return {
		host,
		docker,
		stop,
		start,
		async destroy() {
			await stop();
			await rm(dir, { recursive: true, force: true }).catch(() => undefined);
		}
	};
}
