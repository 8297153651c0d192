// `npm start` in this checkout, as a newcomer runs it: fails fast on a bad variable, builds only
// when the sources changed, and a second start never breaks the first instance.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/server';

const root = path.resolve(import.meta.dirname, '../..');

interface Started {
	child: ChildProcess;
	url: string;
	dataDir: string;
	output: () => string;
	exited: Promise<number | null>;
}

const started: Started[] = [];

async function npmStart(env: Record<string, string> = {}): Promise<Started> {
	const port = await freePort();
	const dataDir = await mkdtemp(path.join(tmpdir(), 'vmw-start-'));
	let out = '';
	// detached: npm and the node it starts form one process group, stopped together below.
	const child = spawn('npm', ['start'], {
		cwd: root,
		detached: true,
		env: {
			PATH: process.env.PATH,
			HOME: process.env.HOME,
			VMW_PORT: String(port),
			VMW_HOST: '127.0.0.1',
			VMW_DATA_DIR: dataDir,
			VMW_DATABASE_URL: `file:${path.join(dataDir, 'vmwarden.db')}`,
			VMW_SAMPLE_INTERVAL_MS: '500',
			...env
		},
		stdio: ['ignore', 'pipe', 'pipe']
	});
	child.stdout!.on('data', (d) => (out += d));
	child.stderr!.on('data', (d) => (out += d));
	const exited = new Promise<number | null>((resolve) =>
		child.once('exit', (code) => resolve(code))
	);
	const s = { child, url: `http://127.0.0.1:${port}`, dataDir, output: () => out, exited };
	started.push(s);
	return s;
}

/** Resolves with the ms from now until /healthz answers 200; throws if the process exits first. */
async function untilServing(s: Started, timeoutMs: number): Promise<number> {
	const t0 = Date.now();
	let exitCode: number | null | undefined;
	void s.exited.then((c) => (exitCode = c));
	for (;;) {
		if (exitCode !== undefined)
			throw new Error(`npm start exited with ${exitCode}:\n${s.output()}`);
		try {
			if ((await fetch(`${s.url}/healthz`)).status === 200) return Date.now() - t0;
		} catch {
			/* not listening yet */
		}
		if (Date.now() - t0 > timeoutMs)
			throw new Error(`not serving after ${timeoutMs} ms:\n${s.output()}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

/** The environment of the node process that `npm start` runs (same process group, scripts/start.js). */
async function serverEnviron(s: Started): Promise<Map<string, string>> {
	for (const pid of await readdir('/proc')) {
		if (!/^\d+$/.test(pid)) continue;
		const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
		const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
		if (pgrp !== s.child.pid) continue;
		const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
		const argv = cmdline.split('\0');
		// the node process itself (not the `sh -c` line that npm runs it with)
		if (!argv[0].endsWith('node') || argv[1] !== 'scripts/start.js') continue;
		const environ = await readFile(`/proc/${pid}/environ`, 'utf8');
		return new Map(
			environ
				.split('\0')
				.filter(Boolean)
				.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])
		);
	}
	throw new Error('no node process running scripts/start.js in the process group of npm start');
}

afterAll(async () => {
	for (const s of started) {
		if (s.child.exitCode === null && s.child.signalCode === null) {
			process.kill(-s.child.pid!, 'SIGTERM');
			await Promise.race([s.exited, new Promise((r) => setTimeout(r, 5000))]);
		}
		await rm(s.dataDir, { recursive: true, force: true });
	}
});

describe('npm start', () => {
	it('refuses a bad VMW_PORT at once, naming the variable, without building or serving', async () => {
		const t0 = Date.now();
		const s = await npmStart({ VMW_PORT: 'abc' });
		const code = await s.exited;
		expect(code).toBe(1);
		expect(s.output()).toContain('VMW_PORT: expected a TCP port number (got "abc")');
		expect(s.output()).not.toContain('building');
		expect(s.output()).not.toContain('Listening on');
		// generous for a loaded 2-core machine; a build alone takes tens of seconds
		expect(Date.now() - t0).toBeLessThan(15_000);
	});

	it('twice in one checkout: the second serves within 5 s without building, and the first keeps serving', async () => {
		const first = await npmStart();
		// The first start may build (sources newer than build/); later ones must not.
		await untilServing(first, 240_000);
		const linkBefore = await readFile(
			path.join(root, 'build', '.vmwarden-build.json'),
			'utf8'
		).catch(() => 'plain vite build');

		const second = await npmStart();
		const ms = await untilServing(second, 30_000);
		expect(second.output()).not.toContain('building');
		expect(ms).toBeLessThan(5000);
		expect(
			await readFile(path.join(root, 'build', '.vmwarden-build.json'), 'utf8').catch(
				() => 'plain vite build'
			)
		).toBe(linkBefore);

		// Pages not rendered yet load their lazy server chunks now: a replaced build would 500 here.
		for (const s of [first, second]) {
			for (const page of ['/login', '/setup']) {
				const res = await fetch(`${s.url}${page}`);
				expect(res.status, `${s.url}${page}`).toBe(200);
			}
		}

		// The plain block after start: the URL and where the token file is; the setup token is not in a URL.
		const out = second.output();
		expect(out).toContain(`vmwarden is running: ${second.url}\n`);
		expect(out).toContain(`read-only API token: ${path.join(second.dataDir, 'api-token')}\n`);
		expect(out).toMatch(
			new RegExp(
				`open ${second.url.replace(/\./g, '\\.')}/setup and paste this one-time setup token:\\n    [A-Za-z0-9_-]{43}\\n`
			)
		);
		expect(out).not.toMatch(/setup\?token=/);

		// npm start gives the server one malloc arena (server.js MALLOC_ENV, decision 0016)
		const env = await serverEnviron(second);
		expect(env.get('MALLOC_ARENA_MAX')).toBe('1');
	});
});
