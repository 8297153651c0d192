// vmwarden as another tool sees it: tests/client-consumer depends on the package by path, type-checks
// against exports["./client"] (and must fail on a wrong procedure or input), then calls the built
// server through the client and the `vmwarden` CLI.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, TEST_TOKEN, type RunningServer } from '../helpers/server';
import type { HealthSnapshot } from '../../src/lib/health';

const root = path.resolve(import.meta.dirname, '../..');
const consumer = path.join(root, 'tests/client-consumer');
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
const cli = path.join(consumer, 'node_modules/.bin/vmwarden');

interface Run {
	code: number;
	stdout: string;
	stderr: string;
}
async function run(
	cmd: string,
	args: string[],
	opts: { cwd?: string; env?: Record<string, string> } = {}
): Promise<Run> {
	try {
		const { stdout, stderr } = await promisify(execFile)(cmd, args, {
			cwd: opts.cwd ?? root,
			env: { PATH: process.env.PATH, HOME: process.env.HOME, ...opts.env },
			timeout: 120_000
		});
		return { code: 0, stdout, stderr };
	} catch (err) {
		const e = err as { code?: number; stdout?: string; stderr?: string };
		return {
			code: typeof e.code === 'number' ? e.code : -1,
			stdout: e.stdout ?? '',
			stderr: e.stderr ?? ''
		};
	}
}

// Thresholds no figure of this machine can cross, so the status is OK once steal has two samples.
const LENIENT = {
	VMW_STEAL_WARN_PCT: '100',
	VMW_STEAL_CRIT_PCT: '100',
	VMW_LOAD_PER_CPU_WARN: '100000',
	VMW_LOAD_PER_CPU_CRIT: '100000',
	VMW_DISK_WARN_PCT: '100',
	VMW_DISK_CRIT_PCT: '100',
	VMW_MEM_AVAILABLE_WARN_GIB: '0',
	VMW_MEM_AVAILABLE_CRIT_GIB: '0',
	VMW_SWAP_USED_WARN_GIB: '1000000',
	VMW_SWAP_USED_CRIT_GIB: '1000000'
};

let server: RunningServer;

beforeAll(async () => {
	// What `npm ci` does through `prepare`, then what the consumer's `npm install` does (a symlink + the bin).
	const built = await run(process.execPath, ['scripts/build-client.js']);
	expect(built.code, built.stdout + built.stderr).toBe(0);
	const installed = await run(
		'npm',
		['install', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts'],
		{ cwd: consumer }
	);
	expect(installed.code, installed.stdout + installed.stderr).toBe(0);
	server = await startServer(LENIENT);
}, 240_000);
afterAll(() => server?.stop());

const asReader = () => ({ VMW_URL: server.url, VMW_TOKEN: TEST_TOKEN });

describe('types from vmwarden/client, in a project of its own', () => {
	it('the consumer type-checks (NodeNext resolution, strict)', async () => {
		const r = await run(process.execPath, [tsc, '-p', consumer]);
		expect(r.stdout + r.stderr).toBe('');
		expect(r.code).toBe(0);
	});

	it('a wrong procedure name and a wrong input type fail tsc, each at its line', async () => {
		const r = await run(process.execPath, [
			tsc,
			'-p',
			path.join(consumer, 'tsconfig.type-errors.json')
		]);
		expect(r.code).not.toBe(0);
		expect(r.stdout).toMatch(
			/type-errors\/wrong-procedure\.ts\(5,18\): error TS2551: Property 'snapshots' does not exist/
		);
		// tsc prints the union in whatever order it built it: compare the members, not the order
		const m = r.stdout.match(
			/type-errors\/wrong-input\.ts\(5,34\): error TS2322: Type 'number' is not assignable to type '([^']+)'/
		);
		expect(m?.[1].split(' | ').sort()).toEqual(['"1h"', '"24h"', '"6h"', '"7d"', 'undefined']);
		expect(r.stdout.match(/error TS/g)).toHaveLength(2);
	});

	it('the client JS imports no server module (only @trpc/client, eventsource, superjson, and the batch cap it shares with the server)', async () => {
		const importsOf = async (file: string) =>
			[
				...(await readFile(path.join(root, file), 'utf8')).matchAll(
					/^(?:import|export)\s[^'"]*from\s+'([^']+)'/gm
				)
			]
				.map((m) => m[1])
				.sort();
		expect(await importsOf('dist/lib/client/index.js')).toEqual([
			'../trpc/limits.js',
			'@trpc/client',
			'@trpc/client',
			'eventsource',
			'superjson'
		]);
		// limits.js is constants only
		expect(await importsOf('dist/lib/trpc/limits.js')).toEqual([]);
	});
});

describe('the client against the built server', () => {
	it('a query, a subscription with two samples, and a mutation refused for the read-only token', async () => {
		const r = await run(process.execPath, ['--import', 'tsx', 'src/consumer.ts'], {
			cwd: consumer,
			env: asReader()
		});
		expect(r.stderr).toBe('');
		expect(r.code).toBe(0);
		const lines = Object.fromEntries(
			r.stdout
				.trim()
				.split('\n')
				.map((l) => JSON.parse(l))
				.map((l) => [l.check, l.value])
		);
		expect(lines.query).toMatchObject({ hostId: 'local', via: 'token' });
		const [t1, t2] = lines.subscription as string[];
		expect(Date.parse(t2)).toBeGreaterThan(Date.parse(t1));
		expect(lines.mutation).toBe('FORBIDDEN');
	});

	it("README's example runs as written, and README shows exactly that file", async () => {
		const example = await readFile(path.join(consumer, 'src/example.ts'), 'utf8');
		expect(await readFile(path.join(root, 'README.md'), 'utf8')).toContain(
			'```ts\n' + example + '```'
		);
		const r = await run(process.execPath, ['--import', 'tsx', 'src/example.ts'], {
			cwd: consumer,
			env: asReader()
		});
		expect(r.stderr).toBe('');
		expect(r.code).toBe(0);
		expect(r.stdout).toMatch(/^local is (OK|UNKNOWN) /);
	});
});

describe('the vmwarden CLI (bin of the installed package)', () => {
	it('health --json prints the snapshot and exits 0 for OK', async () => {
		// the first sample has no steal yet (UNKNOWN, exit 3): wait until the server has two
		let r: Run;
		const deadline = Date.now() + 10_000;
		do r = await run(cli, ['health', '--json'], { env: asReader() });
		while (r.code === 3 && Date.now() < deadline);
		const snap = JSON.parse(r.stdout) as HealthSnapshot;
		expect(snap).toMatchObject({ hostId: 'local', status: 'OK' });
		expect(r.code).toBe(0);
	});

	it('health exits 2 for CRIT (a disk threshold of 0 %) and prints the reason', async () => {
		const crit = await startServer({ VMW_DISK_WARN_PCT: '0', VMW_DISK_CRIT_PCT: '0' });
		try {
			const r = await run(cli, ['health', '--url', crit.url, '--token', TEST_TOKEN]);
			expect(r.code).toBe(2);
			expect(r.stdout).toMatch(/^local CRIT at /);
			expect(r.stdout).toMatch(/- Disk \/ [\d.]+ % used ≥ 0 %/);
		} finally {
			await crit.stop();
		}
	});

	it('without a token: exit 3 and says which variable to set; unknown command or flag: 64', async () => {
		const r = await run(cli, ['health'], { env: { VMW_URL: server.url } });
		expect(r.code).toBe(3);
		expect(r.stderr).toContain('set VMW_TOKEN or --token');
		expect((await run(cli, ['nope'], { env: asReader() })).code).toBe(64);
		expect((await run(cli, ['health', '--jsno'], { env: asReader() })).code).toBe(64);
	});

	it('watch prints one line per sample', async () => {
		const r = await run(cli, ['watch', '--count', '2'], { env: asReader() });
		expect(r.stderr).toBe('');
		expect(r.code).toBe(0);
		const lines = r.stdout.trim().split('\n');
		expect(lines).toHaveLength(2);
		for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z {2}(OK|UNKNOWN) {2}steal /);
	});
});
