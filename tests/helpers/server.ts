// Start the BUILT server (build/ from `vite build`) as a child process on a free loopback port.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { existsSync } from 'node:fs';

const root = path.resolve(import.meta.dirname, '../..');

export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const srv = createServer();
		srv.once('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address() as { port: number };
			srv.close(() => resolve(port));
		});
	});
}

export interface RunningServer {
	url: string;
	pid: number;
	dataDir: string;
	/** everything the process printed so far */
	output(): string;
	/** Send a signal and wait for the process to exit. */
	signal(sig: NodeJS.Signals): Promise<{ code: number | null }>;
	stop(): Promise<void>;
}

export const TEST_PASSWORD = 'test admin password 123';
export const TEST_TOKEN = 'test-read-only-token-0123456789abcdef';

/** Starts `node server.js` and waits until /healthz answers (or the process exits). */
export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
	if (!existsSync(path.join(root, 'build/index.js')))
		throw new Error('build/ is missing: run `npx vite build` first (npm test does)');
	const port = await freePort();
	const dataDir = await mkdtemp(path.join(tmpdir(), 'vmw-server-'));
	let out = '';
	const child: ChildProcess = spawn(process.execPath, ['server.js'], {
		cwd: root,
		env: {
			PATH: process.env.PATH,
			VMW_PORT: String(port),
			VMW_HOST: '127.0.0.1',
			VMW_DATA_DIR: dataDir,
			VMW_DATABASE_URL: `file:${path.join(dataDir, 'vmwarden.db')}`,
			VMW_ADMIN_PASSWORD: TEST_PASSWORD,
			VMW_API_TOKEN: TEST_TOKEN,
			VMW_SAMPLE_INTERVAL_MS: '500',
			// as npm start, the Dockerfile and the systemd unit run it (server.js MALLOC_ENV)
			MALLOC_ARENA_MAX: '1',
			// The watchdog would restart other tests' unhealthy containers on the shared daemon.
			VMW_WATCHDOG: 'off',
			// Docker only when a test gives one (the rig's): never the machine's own daemon at the
			// default /var/run/docker.sock, whose containers are a developer's, not the tests'.
			VMW_DOCKER_HOST: `unix://${path.join(dataDir, 'no-docker.sock')}`,
			...env
		},
		stdio: ['ignore', 'pipe', 'pipe']
	});
	child.stdout!.on('data', (d) => (out += d));
	child.stderr!.on('data', (d) => (out += d));
	const exited = new Promise<number | null>((resolve) =>
		child.once('exit', (code) => resolve(code))
	);
	const url = `http://127.0.0.1:${port}`;

	const deadline = Date.now() + 30_000;
	for (;;) {
		const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('wait'), 200))]);
		if (code !== 'wait') throw new Error(`server exited with ${code} before answering:\n${out}`);
		try {
			const res = await fetch(`${url}/healthz`);
			if (res.status === 200) break;
		} catch {
			/* not listening yet */
		}
		if (Date.now() > deadline) {
			child.kill('SIGKILL');
			throw new Error(`server did not become healthy in 30 s:\n${out}`);
		}
	}
	return {
		url,
		pid: child.pid!,
		dataDir,
		output: () => out,
		async signal(sig) {
			child.kill(sig);
			return { code: await exited };
		},
		async stop() {
			if (child.exitCode === null) {
				child.kill('SIGTERM');
				const t = setTimeout(() => child.kill('SIGKILL'), 5000);
				await exited;
				clearTimeout(t);
			}
			await rm(dataDir, { recursive: true, force: true });
		}
	};
}

/** Run `node server.js` expecting it to refuse to start; resolves with its exit code and output. */
export async function startExpectingFailure(
	env: Record<string, string>
): Promise<{ code: number | null; output: string }> {
	const child = spawn(process.execPath, ['server.js'], {
		cwd: root,
		env: { PATH: process.env.PATH, ...env },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let out = '';
	child.stdout.on('data', (d) => (out += d));
	child.stderr.on('data', (d) => (out += d));
	const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
	const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
	clearTimeout(timer);
	return { code, output: out };
}
