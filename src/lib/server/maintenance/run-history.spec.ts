import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClassicAssembler } from './cleanup-log';
import { BadCursorError, readHistory, rotationsOf, type RunEntry } from './run-history';

// Times: run n starts at 2026-11-01T03:30Z + n days; cron job n at the same minute + 10 s.
const day = 86_400_000;
const T0 = Date.parse('2026-11-01T03:30:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function startLine(n: number, mode = 'standard') {
	return JSON.stringify({
		event: 'start',
		runId: `run-${n}`,
		ts: iso(T0 + n * day),
		mode,
		dryRun: false,
		pid: 1000 + n,
		hostId: 'vm'
	});
}
function recordLine(n: number, { mode = 'standard', status = 'ok', freed = n * 1000 } = {}) {
	return JSON.stringify({
		runId: `run-${n}`,
		hostId: 'vm',
		ts: iso(T0 + n * day),
		mode,
		dryRun: false,
		diskBefore: null,
		diskAfter: null,
		freedBytes: freed,
		durationMs: 1500,
		status,
		steps: [
			{
				name: 'docker_build_cache',
				status: 'ok',
				freedBytes: freed,
				durationMs: 1000,
				message: 'freed'
			}
		]
	});
}
function cronLine(n: number, job = 'backup-sync', exitCode = 0) {
	return JSON.stringify({
		job,
		start: iso(T0 + n * day + 10_000),
		end: iso(T0 + n * day + 12_000),
		exitCode,
		durationMs: 2000,
		outputTail: `out ${n}`
	});
}
const lines = (...l: string[]) => l.join('\n') + '\n';

let dir: string;
beforeAll(() => {
	dir = mkdtempSync(path.join(tmpdir(), 'vmw-history-'));
	// Classic log: runs 0 and 1 (older than every JSON record), plus run 4 which is also in JSON.
	writeFileSync(
		path.join(dir, 'vm-cleanup.log'),
		lines(
			'2026-11-01T03:30:00Z [run-0] vm-cleanup weekly started on vm, disk /: 23.09% used',
			'2026-11-01T03:30:01Z [run-0] docker_build_cache     ok        1.5 MiB  freed 1.5 MiB of build cache',
			'2026-11-01T03:30:01Z [run-0] apt_cache              skipped     0 B  apt-get not found',
			'2026-11-01T03:30:02Z [run-0] vm-cleanup weekly finished: ok, freed 1.5 MiB (ok 1, failed 0, skipped 1)',
			'this line is not a log line',
			'2026-11-02T03:30:00Z [run-1] vm-cleanup standard started on vm, disk /: 23.09% used',
			'2026-11-05T03:30:00Z [run-4] vm-cleanup standard started on vm, disk /: 23.09% used',
			'2026-11-05T03:30:02Z [run-4] vm-cleanup standard finished: ok, freed 3.9 KiB (ok 1, failed 0, skipped 0)'
		)
	);
	// JSON: run 2, 3 in .2.gz; 4, 5 in .1; 6 (interrupted), 7, garbage, 8 pending in the current file.
	writeFileSync(
		path.join(dir, 'vm-cleanup.jsonl.2.gz'),
		gzipSync(
			lines(
				startLine(2),
				recordLine(2),
				startLine(3, 'weekly'),
				recordLine(3, { mode: 'weekly', status: 'partial' })
			)
		)
	);
	writeFileSync(
		path.join(dir, 'vm-cleanup.jsonl.1'),
		lines(startLine(4), recordLine(4), startLine(5), recordLine(5, { status: 'held', freed: 0 }))
	);
	writeFileSync(
		path.join(dir, 'vm-cleanup.jsonl'),
		lines(
			startLine(6),
			startLine(7),
			recordLine(7),
			'{"not":"a record"}',
			'garbage{',
			startLine(8)
		) + '{"runId":"par'
	);
	// cron: days 2..8 for backup-sync, day 5 failed; health-check day 8 in the current file.
	writeFileSync(
		path.join(dir, 'vmwarden-cron.jsonl.1'),
		lines(cronLine(2), cronLine(3), cronLine(4))
	);
	writeFileSync(
		path.join(dir, 'vmwarden-cron.jsonl'),
		lines(cronLine(5, 'backup-sync', 1), cronLine(6), '', cronLine(7), cronLine(8, 'health-check'))
	);
	writeFileSync(path.join(dir, 'vm-cleanup.jsonl.3.gz'), 'not gzip at all');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const summary = (e: RunEntry) =>
	`${e.source}:${e.job ?? e.mode}:${e.id.replace(/@.*/, '')}:${e.status}`;

describe('readHistory', () => {
	it('merges every source newest first, with interrupted and pending runs', async () => {
		const page = await readHistory({ logDir: dir, limit: 100 });
		// Expected by construction of the files above: newest start first; a cron entry is 10 s
		// after the cleanup run of the same day so it comes first.
		expect(page.entries.map(summary)).toEqual([
			'cron:health-check:health-check:ok',
			'cleanup:standard:run-8:pending',
			'cron:backup-sync:backup-sync:ok',
			'cleanup:standard:run-7:ok',
			'cron:backup-sync:backup-sync:ok',
			'cleanup:standard:run-6:interrupted',
			'cron:backup-sync:backup-sync:failed',
			'cleanup:standard:run-5:held',
			'cron:backup-sync:backup-sync:ok',
			'cleanup:standard:run-4:ok',
			'cron:backup-sync:backup-sync:ok',
			'cleanup:weekly:run-3:partial',
			'cron:backup-sync:backup-sync:ok',
			'cleanup:standard:run-2:ok',
			'cleanup-log:standard:run-1:interrupted',
			'cleanup-log:weekly:run-0:ok'
		]);
		// 2 bad JSON lines in the cleanup file + 1 non-log line in the classic log; the
		// partial last line is "incomplete"; the fake .3.gz is unreadable.
		expect(page.stats.malformed).toBe(3);
		expect(page.stats.incomplete).toBe(1);
		expect(page.stats.unreadable.map((u) => u.name)).toEqual(['vm-cleanup.jsonl.3.gz']);
		expect(page.nextCursor).toBeNull();
		const run0 = page.entries.at(-1)!;
		// 1.5 MiB = 1572864 bytes (1.5 * 1024 * 1024)
		expect(run0).toMatchObject({
			freedBytes: 1572864,
			steps: [
				{ name: 'docker_build_cache', freedBytes: 1572864 },
				{ name: 'apt_cache', status: 'skipped', freedBytes: 0 }
			]
		});
		expect(page.entries[1].pid).toBe(1008);
	});

	it('pages with a cursor and gives the same entries as one read', async () => {
		const all = (await readHistory({ logDir: dir, limit: 100 })).entries.map(summary);
		for (const size of [1, 3, 5]) {
			const seen: string[] = [];
			let cursor: string | null = null;
			do {
				const page = await readHistory({ logDir: dir, limit: size, cursor });
				seen.push(...page.entries.map(summary));
				cursor = page.nextCursor;
			} while (cursor);
			expect(seen).toEqual(all);
		}
	});

	it('stops at a horizon without unpacking older files', async () => {
		const horizon = iso(T0 + 6 * day);
		const page = await readHistory({ logDir: dir, limit: 100, stopAt: (e) => e.start < horizon });
		expect(page.entries.map((e) => e.id.replace(/@.*/, ''))).toEqual([
			'health-check',
			'run-8',
			'backup-sync',
			'run-7',
			'backup-sync',
			'run-6'
		]);
		// The broken .3.gz was never reached: nothing unreadable reported.
		expect(page.stats.unreadable).toEqual([]);
		expect(page.nextCursor).toBeNull();
	});

	it('filters by job and reads one stream only', async () => {
		const page = await readHistory({
			logDir: dir,
			limit: 100,
			streams: { cleanup: false },
			filter: (e) => e.job === 'backup-sync'
		});
		expect(page.entries.map((e) => e.status)).toEqual(['ok', 'ok', 'failed', 'ok', 'ok', 'ok']);
		expect(page.entries[2].message).toBe('exit 1');
	});

	it('refuses a forged cursor', async () => {
		await expect(readHistory({ logDir: dir, limit: 1, cursor: 'garbage' })).rejects.toBeInstanceOf(
			BadCursorError
		);
		const evil = Buffer.from(
			JSON.stringify({ c: { f: '../../etc/shadow', o: 10 }, k: false })
		).toString('base64url');
		// A file name outside the rotation list matches no file: nothing is read.
		expect((await readHistory({ logDir: dir, limit: 5, cursor: evil })).entries).toEqual([]);
	});

	it('reads an empty or missing directory as no history', async () => {
		const empty = path.join(dir, 'empty');
		mkdirSync(empty);
		writeFileSync(path.join(empty, 'vm-cleanup.jsonl'), '');
		const page = await readHistory({ logDir: empty, limit: 10 });
		expect(page).toMatchObject({
			entries: [],
			nextCursor: null,
			stats: { found: { cleanup: true, cron: false, cleanupLog: false } }
		});
		const missing = await readHistory({ logDir: path.join(dir, 'nope'), limit: 10 });
		expect(missing.stats.unreadable[0].state).toBe('not-found');
	});

	it('refuses a history file that is a symlink out of the log directory', async () => {
		const d = path.join(dir, 'linked');
		mkdirSync(d);
		writeFileSync(path.join(dir, 'outside.jsonl'), lines(cronLine(1)));
		symlinkSync('../outside.jsonl', path.join(d, 'vmwarden-cron.jsonl'));
		const page = await readHistory({ logDir: d, limit: 10 });
		expect(page.entries).toEqual([]);
		expect(page.stats.unreadable[0].reason).toMatch(/outside/);
	});
});

describe('rotationsOf', () => {
	it('orders the base file, then .1, .1.gz, .2.gz … and ignores other names', () => {
		expect(
			rotationsOf('x.jsonl', [
				'x.jsonl.10.gz',
				'x.jsonl.2.gz',
				'x.jsonl',
				'x.jsonl.1',
				'x.jsonl.1.gz',
				'x.jsonl.old',
				'y.jsonl',
				'x.jsonl.gz'
			])
		).toEqual(['x.jsonl', 'x.jsonl.1', 'x.jsonl.1.gz', 'x.jsonl.2.gz', 'x.jsonl.10.gz']);
	});
});

describe('classic log assembler', () => {
	it('reads HOLD and signal lines', () => {
		const a = createClassicAssembler();
		const feed = [
			'2026-11-03T03:30:01Z [r2] interrupted by SIGTERM; recording the run as failed',
			'2026-11-03T03:30:00Z [r2] vm-cleanup full (dry run) started on vm, disk /: 1% used',
			'2026-11-02T03:30:00Z [r1] HOLD: hold file /etc/vmwarden/cleanup.hold present: disk migration; skipping every step',
			'2026-11-02T03:30:00Z [r1] vm-cleanup standard started on vm, disk /: 1% used'
		];
		const out = feed.map((l) => a.push(l)).filter((x) => x && x !== 'malformed');
		expect(out).toMatchObject([
			{
				runId: 'r2',
				mode: 'full',
				dryRun: true,
				status: 'failed',
				message: 'interrupted by SIGTERM'
			},
			{
				runId: 'r1',
				mode: 'standard',
				dryRun: false,
				status: 'held',
				freedBytes: 0,
				message: 'hold file /etc/vmwarden/cleanup.hold present: disk migration'
			}
		]);
	});
});
