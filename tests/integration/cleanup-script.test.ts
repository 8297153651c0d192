/**
 * scripts/vm-cleanup.sh against the test rig's real dockerd (DOCKER_HOST, VMW_TEST_IMAGE).
 * Every JSON line it writes is checked with the app's zod schemas (parseCleanupJsonl).
 *
 * Safety on a shared daemon: every object a test makes carries the labels
 * vmwarden.test=cleanup-script and vmw.test.cleanup=<tag of this test>, and the script
 * runs with VMW_CLEANUP_DOCKER_FILTERS=label=vmw.test.cleanup=<tag>, so its image and
 * log steps only see this test's objects. apt, pnpm and journald point at missing
 * commands (or a harmless slow stand-in) so the machine's caches are never touched.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
	chmodSync,
	copyFileSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	rmSync,
	statSync,
	utimesSync,
	writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
	cleanupRunRecordSchema,
	parseCleanupJsonl,
	type CleanupRunRecord
} from '../../src/lib/server/maintenance/cleanup-record';
import { rigEnv } from '../helpers/rig';

const SCRIPT = fileURLToPath(new URL('../../scripts/vm-cleanup.sh', import.meta.url));
const BUSYBOX = '/usr/bin/busybox';

// The rig's dockerd and test image (rigEnv fails with how to start the rig when unset).
const dockerHost = () => rigEnv().dockerHost;
const testImage = () => rigEnv().testImage;

function docker(args: string[], input?: Buffer): string {
	return execFileSync('docker', args, {
		env: { ...process.env, DOCKER_HOST: dockerHost() },
		input,
		encoding: 'utf8',
		stdio: ['pipe', 'pipe', 'pipe']
	}).trim();
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

interface Ctx {
	dir: string;
	tag: string;
	env: NodeJS.ProcessEnv;
	jsonl: string;
	labels: string[];
}
let ctx: Ctx;

/** A root filesystem tar: busybox plus 64 KiB of random bytes, so every image has its own layer. */
function rootfsTar(name: string): string {
	const root = join(ctx.dir, `rootfs-${name}`);
	mkdirSync(join(root, 'bin'), { recursive: true });
	copyFileSync(BUSYBOX, join(root, 'bin/busybox'));
	writeFileSync(join(root, 'unique.bin'), randomBytes(64 * 1024));
	const tar = join(ctx.dir, `${name}.tar`);
	execFileSync('tar', ['-C', root, '-cf', tar, '.']);
	return tar;
}

/** An image created `created` (ISO), built by hand in `docker save` format and loaded. */
function loadImage(repoTag: string, created: string): string {
	const layer = rootfsTar(repoTag.replace(/[^a-z0-9]/g, '-'));
	const layerBytes = readFileSync(layer);
	const diffId = sha256(layerBytes);
	const pkg = join(ctx.dir, `pkg-${diffId.slice(0, 12)}`);
	mkdirSync(join(pkg, diffId), { recursive: true });
	copyFileSync(layer, join(pkg, diffId, 'layer.tar'));
	const config = JSON.stringify({
		architecture: 'amd64',
		os: 'linux',
		created,
		config: {
			Cmd: ['/bin/busybox', 'true'],
			Labels: Object.fromEntries(ctx.labels.map((l) => l.split('=')))
		},
		rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
		history: [{ created, created_by: 'vmwarden cleanup-script test' }]
	});
	const configName = `${sha256(config)}.json`;
	writeFileSync(join(pkg, configName), config);
	writeFileSync(
		join(pkg, 'manifest.json'),
		JSON.stringify([{ Config: configName, RepoTags: [repoTag], Layers: [`${diffId}/layer.tar`] }])
	);
	const out = join(ctx.dir, `${diffId.slice(0, 12)}.image.tar`);
	execFileSync('tar', ['-C', pkg, '-cf', out, 'manifest.json', configName, diffId]);
	docker(['load', '-i', out]);
	return docker(['image', 'inspect', '--format', '{{.Id}}', repoTag]);
}

/** An image made now by `docker import`. */
function importImage(repoTag: string): string {
	const changes = ctx.labels.flatMap((l) => ['-c', `LABEL ${l}`]);
	return docker([
		'import',
		...changes,
		rootfsTar(`import-${randomBytes(4).toString('hex')}`),
		repoTag
	]);
}

const imageExists = (ref: string) =>
	spawnSync('docker', ['image', 'inspect', ref], {
		env: { ...process.env, DOCKER_HOST: dockerHost() }
	}).status === 0;

function runCleanup(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
	const res = spawnSync('bash', [SCRIPT, ...args], {
		env: { ...ctx.env, ...extraEnv },
		encoding: 'utf8',
		timeout: 120_000
	});
	return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

function readJsonl() {
	const text = existsSync(ctx.jsonl) ? readFileSync(ctx.jsonl, 'utf8') : '';
	const parsed = parseCleanupJsonl(text);
	// Every line the script writes must satisfy the app's schema.
	expect(parsed.errors, text).toEqual([]);
	for (const record of parsed.records) cleanupRunRecordSchema.parse(record);
	return { text, ...parsed };
}

function lastRecord(): CleanupRunRecord {
	const { records } = readJsonl();
	expect(records.length).toBeGreaterThan(0);
	return records.at(-1)!;
}

const step = (record: CleanupRunRecord, name: string) => {
	const found = record.steps.find((s) => s.name === name);
	expect(found, `step ${name} in ${JSON.stringify(record.steps)}`).toBeDefined();
	return found!;
};

async function waitFor(check: () => boolean, what: string, timeoutMs = 15_000) {
	const until = Date.now() + timeoutMs;
	while (!check()) {
		if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

beforeEach(() => {
	// Fails (does not skip) when the rig's dockerd does not answer.
	docker(['version', '--format', '{{.Server.Version}}']);
	const dir = mkdtempSync(join(tmpdir(), 'vmw-cleanup-'));
	const tag = `t${randomBytes(5).toString('hex')}`;
	mkdirSync(join(dir, 'log'));
	ctx = {
		dir,
		tag,
		jsonl: join(dir, 'log', 'vm-cleanup.jsonl'),
		labels: ['vmwarden.test=cleanup-script', `vmw.test.cleanup=${tag}`],
		env: {
			PATH: process.env.PATH,
			HOME: process.env.HOME,
			DOCKER_HOST: dockerHost(),
			VMW_LOG_DIR: join(dir, 'log'),
			VMW_CLEANUP_LOCK_FILE: join(dir, 'cleanup.lock'),
			VMW_CLEANUP_HOLD_FILE: join(dir, 'cleanup.hold'),
			VMW_CLEANUP_DOCKER_FILTERS: `label=vmw.test.cleanup=${tag}`,
			VMW_CLEANUP_LOG_MAX_BYTES: '4096',
			VMW_CLEANUP_IMAGE_MAX_AGE_DAYS: '30',
			VMW_APT_GET_BIN: '/nonexistent/apt-get',
			VMW_PNPM_BIN: '/nonexistent/pnpm',
			VMW_JOURNALCTL_BIN: '/nonexistent/journalctl',
			VMW_COSMOS_PGLOG_DIR: join(dir, 'pglog'),
			VMW_COSMOS_PGLOG_MAX_AGE_DAYS: '7',
			VMW_HOST_ID: 'test-vm'
		}
	};
});

afterEach(() => {
	const filter = `label=vmw.test.cleanup=${ctx.tag}`;
	const containers = docker(['ps', '-aq', '--filter', filter]).split('\n').filter(Boolean);
	if (containers.length) docker(['rm', '-f', ...containers]);
	const images = [
		...new Set(docker(['image', 'ls', '-aq', '--filter', filter]).split('\n').filter(Boolean))
	];
	if (images.length)
		spawnSync('docker', ['rmi', '-f', ...images], {
			env: { ...process.env, DOCKER_HOST: dockerHost() }
		});
	rmSync(ctx.dir, { recursive: true, force: true });
});

/** The objects the weekly steps act on. */
function arrange() {
	const repo = `vmw-cleanup-test/${ctx.tag}`;
	const agedUnused = loadImage(`${repo}:aged-unused`, '2020-01-01T00:00:00Z');
	const agedUsed = loadImage(`${repo}:aged-used`, '2020-01-01T00:00:00Z');
	const fresh = importImage(`${repo}:fresh`);
	// Importing twice under one tag leaves the first image dangling.
	const dangling = importImage(`${repo}:dangle`);
	importImage(`${repo}:dangle`);
	const labelArgs = ctx.labels.flatMap((l) => ['--label', l]);
	// A stopped container keeps the aged image in use.
	docker(['create', '--network', 'none', ...labelArgs, `${repo}:aged-used`]);
	// A container whose json log is over the 4 KiB limit.
	const chatty = docker([
		'run',
		'--network',
		'none',
		...labelArgs,
		'-d',
		testImage(),
		'sh',
		'-c',
		'i=0; while [ $i -lt 200 ]; do echo "line $i of a log that is over the size limit"; i=$((i+1)); done'
	]);
	docker(['wait', chatty]);
	const logPath = docker(['inspect', '--format', '{{.LogPath}}', chatty]);
	// CosmosDB emulator PostgreSQL logs: two old ones, one recent, and the newest (old but kept).
	const pglog = join(ctx.dir, 'pglog');
	mkdirSync(pglog);
	const days = (n: number) => new Date(Date.now() - n * 86_400_000);
	for (const [name, age] of [
		['postgresql-1.log', 30],
		['postgresql-2.csv', 20],
		['postgresql-3.log', 1],
		['keep.txt', 40]
	] as const) {
		writeFileSync(join(pglog, name), 'x'.repeat(1000));
		utimesSync(join(pglog, name), days(age), days(age));
	}
	return {
		repo,
		agedUnused,
		agedUsed,
		fresh,
		dangling,
		chatty,
		logPath,
		pglog,
		logBytes: statSync(logPath).size
	};
}

describe('vm-cleanup.sh', () => {
	it('--weekly --dry-run reports what each step would free and frees nothing', () => {
		const a = arrange();
		expect(a.logBytes).toBeGreaterThan(4096);
		const agedUnusedBytes = Number(
			docker(['image', 'inspect', '--format', '{{.Size}}', a.agedUnused])
		);
		const danglingBytes = Number(docker(['image', 'inspect', '--format', '{{.Size}}', a.dangling]));

		const res = runCleanup(['--weekly', '--dry-run']);

		expect(res.status, res.stderr).toBe(0);
		for (const id of [a.agedUnused, a.agedUsed, a.fresh, a.dangling])
			expect(imageExists(id)).toBe(true);
		expect(statSync(a.logPath).size).toBe(a.logBytes);
		expect(existsSync(join(a.pglog, 'postgresql-1.log'))).toBe(true);

		const r = lastRecord();
		expect(r).toMatchObject({ mode: 'weekly', dryRun: true, status: 'ok', hostId: 'test-vm' });
		expect(r.steps.map((s) => s.name)).toEqual([
			'docker_build_cache',
			'docker_dangling_images',
			'docker_container_logs',
			'docker_aged_images',
			'apt_cache',
			'pnpm_store',
			'cosmos_pglog'
		]);
		expect(step(r, 'docker_dangling_images')).toMatchObject({
			status: 'ok',
			freedBytes: danglingBytes
		});
		expect(step(r, 'docker_dangling_images').message).toMatch(/^would remove 1 dangling/);
		// only the unused aged image: the aged one a container uses and the fresh one stay
		expect(step(r, 'docker_aged_images')).toMatchObject({
			status: 'ok',
			freedBytes: agedUnusedBytes
		});
		expect(step(r, 'docker_aged_images').message).toMatch(/^would remove 1 unused image/);
		expect(step(r, 'docker_container_logs')).toMatchObject({
			status: 'ok',
			freedBytes: a.logBytes
		});
		expect(step(r, 'docker_container_logs').message).toContain(a.chatty.slice(0, 12));
		expect(step(r, 'cosmos_pglog')).toMatchObject({ status: 'ok', freedBytes: 2000 });
		expect(r.freedBytes).toBe(r.steps.reduce((sum, s) => sum + s.freedBytes, 0));
		expect(r.diskBefore?.mount).toBe('/');
		expect(res.stdout).toContain('would free');
		expect(readFileSync(join(ctx.dir, 'log', 'vm-cleanup.log'), 'utf8')).toContain(
			'docker_aged_images'
		);
	});

	it('--weekly frees dangling and aged unused images, truncates the big log, deletes old pglogs', () => {
		const a = arrange();

		const res = runCleanup(['--weekly']);

		expect(res.status, res.stdout + res.stderr).toBe(0);
		expect(imageExists(a.dangling)).toBe(false);
		expect(imageExists(a.agedUnused)).toBe(false);
		expect(imageExists(a.agedUsed)).toBe(true); // used by a (stopped) container
		expect(imageExists(a.fresh)).toBe(true); // not old enough
		expect(imageExists(testImage())).toBe(true); // not ours: outside the label filter
		expect(statSync(a.logPath).size).toBe(0);
		expect(existsSync(join(a.pglog, 'postgresql-1.log'))).toBe(false);
		expect(existsSync(join(a.pglog, 'postgresql-2.csv'))).toBe(false);
		expect(existsSync(join(a.pglog, 'postgresql-3.log'))).toBe(true);
		expect(existsSync(join(a.pglog, 'keep.txt'))).toBe(true);

		const r = lastRecord();
		expect(r).toMatchObject({ mode: 'weekly', dryRun: false, status: 'ok' });
		expect(step(r, 'docker_dangling_images').freedBytes).toBeGreaterThan(64 * 1024);
		expect(step(r, 'docker_aged_images').freedBytes).toBeGreaterThan(64 * 1024);
		expect(step(r, 'docker_container_logs').freedBytes).toBe(a.logBytes);
		expect(step(r, 'cosmos_pglog')).toMatchObject({ status: 'ok', freedBytes: 2000 });
		expect(step(r, 'apt_cache')).toMatchObject({
			status: 'skipped',
			freedBytes: 0,
			message: '/nonexistent/apt-get not found'
		});
		expect(step(r, 'pnpm_store')).toMatchObject({
			status: 'skipped',
			message: '/nonexistent/pnpm not found'
		});
		expect(r.freedBytes).toBe(r.steps.reduce((sum, s) => sum + s.freedBytes, 0));
		expect(r.diskAfter).not.toBeNull();
		const { interrupted, pending } = readJsonl();
		expect(interrupted).toEqual([]);
		expect(pending).toBeNull();
	});

	it('runs only the steps of its mode: standard 3, full adds journald', () => {
		expect(runCleanup(['--standard', '--dry-run']).status).toBe(0);
		expect(lastRecord().steps.map((s) => s.name)).toEqual([
			'docker_build_cache',
			'docker_dangling_images',
			'docker_container_logs'
		]);
		expect(runCleanup(['--full', '--dry-run']).status).toBe(0);
		const full = lastRecord();
		expect(full.mode).toBe('full');
		expect(full.steps.at(-1)).toMatchObject({
			name: 'journald_vacuum',
			status: 'skipped',
			message: '/nonexistent/journalctl not found'
		});
		expect(readJsonl().records).toHaveLength(2);
	});

	it('records a step whose tool is missing as skipped with the reason', () => {
		const res = runCleanup(['--standard'], { VMW_DOCKER_BIN: '/nonexistent/docker' });
		expect(res.status).toBe(0);
		const r = lastRecord();
		expect(r.status).toBe('ok');
		for (const s of r.steps)
			expect(s).toMatchObject({
				status: 'skipped',
				freedBytes: 0,
				message: '/nonexistent/docker not found'
			});
	});

	it('records a failing step as failed and goes on (status partial, exit 1)', () => {
		const res = runCleanup(['--weekly'], { VMW_CLEANUP_IMAGE_MAX_AGE_DAYS: 'soon' });
		expect(res.status).toBe(1);
		const r = lastRecord();
		expect(r.status).toBe('partial');
		expect(step(r, 'docker_aged_images')).toMatchObject({
			status: 'failed',
			message: 'VMW_CLEANUP_IMAGE_MAX_AGE_DAYS is not a whole number: soon'
		});
		// the steps after it still ran
		expect(step(r, 'cosmos_pglog').status).toBe('skipped'); // no pglog dir in this test
		expect(step(r, 'docker_container_logs').status).toBe('ok');
	});

	it('records failed when every step that runs fails (daemon not answering)', () => {
		const res = runCleanup(['--standard'], { DOCKER_HOST: `unix://${ctx.dir}/no-such.sock` });
		expect(res.status).toBe(2);
		const r = lastRecord();
		expect(r.status).toBe('failed');
		for (const s of r.steps) {
			expect(s.status).toBe('failed');
			expect(s.message).toMatch(/^docker daemon not answering/);
		}
	});

	it('HOLD: with the hold file present the run does nothing and records held', () => {
		const a = arrange();
		writeFileSync(ctx.env.VMW_CLEANUP_HOLD_FILE!, 'migrating volumes, ask Sam\n');

		const res = runCleanup(['--weekly']);

		expect(res.status).toBe(0);
		expect(imageExists(a.dangling)).toBe(true);
		expect(statSync(a.logPath).size).toBe(a.logBytes);
		const r = lastRecord();
		expect(r).toMatchObject({ status: 'held', steps: [], freedBytes: 0 });
		expect(r.message).toContain('migrating volumes, ask Sam');
	});

	describe('with a slow step (apt-get pointed at a harmless stand-in that sleeps)', () => {
		function slowTool(seconds: number): string {
			const path = join(ctx.dir, 'slow-apt-get');
			writeFileSync(path, `#!/bin/sh\nsleep ${seconds}\n`);
			chmodSync(path, 0o755);
			return path;
		}
		function startBackground(extraEnv: NodeJS.ProcessEnv) {
			const child = spawn('bash', [SCRIPT, '--weekly'], {
				env: { ...ctx.env, ...extraEnv },
				detached: true,
				stdio: 'ignore'
			});
			const exited = new Promise<number | null>((r) =>
				child.on('exit', (code, signal) => r(code ?? (signal ? -1 : null)))
			);
			return { child, exited };
		}
		const startMarkers = () =>
			existsSync(ctx.jsonl)
				? readFileSync(ctx.jsonl, 'utf8')
						.split('\n')
						.filter((l) => l.includes('"event":"start"'))
				: [];
		const inAptStep = () =>
			existsSync(join(ctx.dir, 'log', 'vm-cleanup.log')) &&
			readFileSync(join(ctx.dir, 'log', 'vm-cleanup.log'), 'utf8').includes('docker_aged_images');

		it('refuses a second run while one holds the lock, and records nothing for it', async () => {
			const first = startBackground({ VMW_APT_GET_BIN: slowTool(30) });
			try {
				await waitFor(() => startMarkers().length === 1, 'the first run to start');
				const before = readFileSync(ctx.jsonl, 'utf8');

				const second = runCleanup(['--standard']);

				expect(second.status).toBe(75);
				expect(second.stderr).toContain('another cleanup run holds');
				expect(readFileSync(ctx.jsonl, 'utf8')).toBe(before);
				expect(readJsonl().pending?.pid).toBe(first.child.pid);
			} finally {
				process.kill(-first.child.pid!, 'SIGKILL');
				await first.exited;
			}
		});

		const WEEKLY_STEPS = [
			'docker_build_cache',
			'docker_dangling_images',
			'docker_container_logs',
			'docker_aged_images',
			'apt_cache',
			'pnpm_store',
			'cosmos_pglog'
		];
		const logText = () =>
			existsSync(join(ctx.dir, 'log', 'vm-cleanup.log'))
				? readFileSync(join(ctx.dir, 'log', 'vm-cleanup.log'), 'utf8')
				: '';

		/** The record of an interrupted run: valid (readJsonl checks every line with the schema), failed, SIGTERM. */
		function interruptedRecord(): CleanupRunRecord {
			const { text, records } = readJsonl();
			expect(records, text).toHaveLength(1);
			const r = records[0];
			expect(r).toMatchObject({ status: 'failed', message: 'interrupted by SIGTERM' });
			// steps are a prefix of the weekly list, in order, none twice
			expect(r.steps.map((s) => s.name)).toEqual(WEEKLY_STEPS.slice(0, r.steps.length));
			expect(r.freedBytes).toBe(r.steps.reduce((sum, s) => sum + s.freedBytes, 0));
			return r;
		}

		it('SIGTERM during a step (the slow apt stand-in): the step is recorded as interrupted', async () => {
			const run = startBackground({ VMW_APT_GET_BIN: slowTool(30) });
			await waitFor(inAptStep, 'the run to reach the apt step');
			process.kill(-run.child.pid!, 'SIGTERM');
			expect(await run.exited).toBe(143);
			const r = interruptedRecord();
			expect(r.steps.map((s) => s.name)).toEqual(WEEKLY_STEPS.slice(0, 5));
			expect(step(r, 'docker_aged_images').status).toBe('ok');
			expect(step(r, 'apt_cache')).toMatchObject({
				status: 'failed',
				freedBytes: 0,
				message: 'interrupted by SIGTERM during this step'
			});
		});

		it("SIGTERM the moment a step's log line appears (the moment of issue 6): a valid record with that step", async () => {
			const run = startBackground({ VMW_APT_GET_BIN: slowTool(30) });
			// The step's log line is written after its entry is committed.
			await waitFor(
				() => /docker_aged_images\s+ok/.test(logText()),
				'the docker_aged_images log line',
				30_000
			);
			process.kill(-run.child.pid!, 'SIGTERM');
			expect(await run.exited).toBe(143);
			const r = interruptedRecord();
			expect(step(r, 'docker_aged_images').status).toBe('ok');
		});

		// Points of the docker_aged_images step where the run waits (VMW_CLEANUP_TEST_PAUSE) to be
		// signalled: before the step runs, after it ran but before its entry is built, half-way
		// through building the entry, and after the entry is committed (before its log line).
		// `group`: the whole process group is signalled (what a service manager or Ctrl-C does,
		// killing the child in flight too); otherwise only the script's pid.
		it.each([
			{ point: 'before', group: true, committed: false },
			{ point: 'result', group: true, committed: false },
			{ point: 'json', group: true, committed: false },
			{ point: 'json', group: false, committed: false },
			{ point: 'after', group: true, committed: true }
		])(
			'SIGTERM at $point of a step (group: $group): the record is valid',
			async ({ point, group, committed }) => {
				const marker = `test pause at ${point}:docker_aged_images`;
				const run = startBackground({ VMW_CLEANUP_TEST_PAUSE: `${point}:docker_aged_images` });
				await waitFor(() => logText().includes(marker), marker, 30_000);
				process.kill(group ? -run.child.pid! : run.child.pid!, 'SIGTERM');
				expect(await run.exited).toBe(143);
				const r = interruptedRecord();
				// the interrupted step is the last one; the three before it completed
				expect(r.steps.map((s) => s.name)).toEqual(WEEKLY_STEPS.slice(0, 4));
				for (const s of r.steps.slice(0, 3)) expect(s.status).toBe('ok');
				if (committed) expect(step(r, 'docker_aged_images').status).toBe('ok');
				else
					expect(step(r, 'docker_aged_images')).toMatchObject({
						status: 'failed',
						freedBytes: 0,
						message: 'interrupted by SIGTERM during this step'
					});
			}
		);

		it('SIGKILL mid-way: the start marker without a record shows the run was interrupted', async () => {
			const killed = startBackground({ VMW_APT_GET_BIN: slowTool(30) });
			await waitFor(inAptStep, 'the run to reach the apt step');
			process.kill(-killed.child.pid!, 'SIGKILL');
			await killed.exited;

			let parsed = readJsonl();
			expect(parsed.records).toEqual([]);
			expect(parsed.pending?.pid).toBe(killed.child.pid);

			// The lock died with the process: the next run starts, and the killed one is now
			// unambiguously interrupted.
			expect(runCleanup(['--standard', '--dry-run']).status).toBe(0);
			parsed = readJsonl();
			expect(parsed.interrupted.map((m) => m.pid)).toEqual([killed.child.pid]);
			expect(parsed.interrupted[0].mode).toBe('weekly');
			expect(parsed.pending).toBeNull();
			expect(parsed.records).toHaveLength(1);
		});
	});

	it('rejects an unknown argument with exit 64 and writes nothing', () => {
		const res = runCleanup(['--monthly']);
		expect(res.status).toBe(64);
		expect(existsSync(ctx.jsonl)).toBe(false);
	});
});
