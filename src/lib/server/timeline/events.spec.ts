// The timeline's own rows: cleanup and cron runs from the host scripts' records (held files in a
// temp log dir, read by the real history reader) and container exits from held Docker events,
// over a fresh migrated SQLite file, then listed through listTimeline.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDb } from '../../../../tests/helpers/db';
import type { Db } from '../db';
import { actions, timelineEvents } from '../db/schema';
import type { RunEntry } from '../maintenance/run-history';
import type { CronStatus } from '../maintenance/status';
import { runEvents } from './events';
import { createExitTracker, type DockerEventLine } from './exit-recorder';
import { createRunRecorder } from './run-recorder';
import { listTimeline } from './timeline';

const H = 'vm-test';
const T0 = Date.UTC(2026, 11, 7, 3, 0);
const at = (m: number) => T0 + m * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const GiB = 1024 ** 3;

// cron-run.sh records: backup-sync every minute (03:01 ok, 03:02 exit 1), the cleanup job's
// wrapper at 03:10 (exit 1 because the cleanup inside it partly failed)
const cron = (m: number, job: string, exitCode: number, seconds = 2, outputTail = '') =>
	JSON.stringify({
		job,
		start: iso(at(m)),
		end: iso(at(m) + seconds * 1000),
		exitCode,
		durationMs: seconds * 1000,
		outputTail
	});
// vm-cleanup.sh records: a standard run at 03:05 that freed 1.5 GiB, a weekly one at 03:10 inside
// the wrapper (partial), a dry run at 03:20 (frees nothing: not a timeline entry)
const cleanup = (
	m: number,
	runId: string,
	mode: string,
	status: string,
	freedBytes: number,
	dryRun = false
) =>
	JSON.stringify({
		runId,
		hostId: H,
		ts: iso(at(m) + 500),
		mode,
		dryRun,
		diskBefore: { mount: '/', usedBytes: 60 * GiB, availBytes: 40 * GiB, usedPct: 60 },
		diskAfter: {
			mount: '/',
			usedBytes: 60 * GiB - freedBytes,
			availBytes: 40 * GiB + freedBytes,
			usedPct: 58.5
		},
		freedBytes,
		durationMs: 30_000,
		status,
		steps: [
			{
				name: 'docker_build_cache',
				status: 'ok',
				freedBytes,
				durationMs: 20_000,
				message: 'freed'
			},
			{
				name: 'journal_vacuum',
				status: status === 'partial' ? 'failed' : 'ok',
				freedBytes: 0,
				durationMs: 10_000,
				message: status === 'partial' ? 'journalctl: permission denied' : 'ok'
			}
		]
	});
const start = (m: number, runId: string, mode: string, dryRun = false) =>
	JSON.stringify({
		event: 'start',
		runId,
		ts: iso(at(m) + 500),
		mode,
		dryRun,
		pid: 4000 + m,
		hostId: H
	});

function statusWith(
	jobs: { name: string; state: string; expectedRun: string | null; reason: string }[]
): CronStatus {
	return { jobs } as unknown as CronStatus;
}

describe('runEvents', () => {
	const entry = (over: Partial<RunEntry>): RunEntry => ({
		id: 'x',
		source: 'cron',
		job: 'backup-sync',
		start: iso(at(1)),
		end: iso(at(1) + 2000),
		durationMs: 2000,
		exitCode: 0,
		status: 'ok',
		mode: null,
		dryRun: null,
		freedBytes: null,
		message: null,
		outputTail: '',
		steps: null,
		diskBefore: null,
		diskAfter: null,
		pid: null,
		file: 'f',
		...over
	});

	it('lists a failed and a missed cron run, not a successful one', () => {
		const rows = runEvents(
			H,
			[
				entry({
					id: 'backup-sync@2',
					start: iso(at(2)),
					exitCode: 1,
					status: 'failed',
					message: 'exit 1',
					outputTail: 'rsync: connection refused\n'
				}),
				entry({ id: 'backup-sync@1' })
			],
			[
				{
					name: 'report',
					state: 'missed',
					expectedRun: iso(at(0)),
					reason: `expected at ${iso(at(0))}; last run 2026-12-06T03:00:00.000Z`
				},
				{ name: 'backup-sync', state: 'failed', expectedRun: iso(at(2)), reason: 'exit 1' }
			]
		);
		expect(rows.map((r) => [r.kind, r.ref, r.severity, r.title])).toEqual([
			['cron', 'backup-sync@2', 'CRIT', 'cron job backup-sync failed (exit 1)'],
			[
				'cron',
				`missed:report@${iso(at(0))}`,
				'WARN',
				'cron job report missed its 2026-12-07 03:00 UTC run'
			]
		]);
		expect(rows[0].detail).toBe('ran 2 s · last output: rsync: connection refused');
	});

	it('lists a cron-run.sh record that wraps a cleanup run once, as the cleanup', () => {
		const wrapper = entry({
			id: 'cleanup-weekly@10',
			job: 'cleanup-weekly',
			start: iso(at(10)),
			end: iso(at(10) + 31_000),
			exitCode: 1,
			status: 'failed'
		});
		const run = entry({
			id: 'run-10',
			source: 'cleanup',
			job: null,
			start: iso(at(10) + 500),
			exitCode: null,
			status: 'partial',
			mode: 'weekly',
			dryRun: false,
			freedBytes: 300 * 1024 ** 2,
			steps: [{ name: 'journal_vacuum', status: 'failed', freedBytes: 0, message: 'denied' }]
		});
		const rows = runEvents(H, [run, wrapper], []);
		expect(rows.map((r) => [r.kind, r.severity, r.title, r.bytes])).toEqual([
			['cleanup', 'WARN', 'cleanup weekly: partial, freed 300 MiB', 300 * 1024 ** 2]
		]);
		expect(rows[0].detail).toBe('failed: journal_vacuum');
	});

	it('leaves out dry runs and a cleanup still running; an interrupted one is CRIT without bytes', () => {
		const rows = runEvents(
			H,
			[
				entry({
					id: 'run-3',
					source: 'cleanup',
					job: null,
					exitCode: null,
					status: 'pending',
					mode: 'standard',
					dryRun: false
				}),
				entry({
					id: 'run-2',
					source: 'cleanup',
					job: null,
					exitCode: null,
					status: 'ok',
					mode: 'full',
					dryRun: true,
					freedBytes: 9e9
				}),
				entry({
					id: 'run-1',
					source: 'cleanup',
					job: null,
					exitCode: null,
					status: 'interrupted',
					mode: 'standard',
					dryRun: false,
					message: 'started and never wrote its record (killed?)'
				})
			],
			[]
		);
		expect(rows.map((r) => [r.ref, r.severity, r.title, r.bytes])).toEqual([
			['run-1', 'CRIT', 'cleanup standard: interrupted (killed?), no record written', null]
		]);
	});
});

describe('timeline_events recorders', () => {
	let db: Db;
	let cleanupDb: () => Promise<void>;
	let logDir: string;
	beforeEach(async () => {
		({ db, cleanup: cleanupDb } = await freshDb());
		logDir = mkdtempSync(path.join(tmpdir(), 'vmw-timeline-logs-'));
	});
	afterEach(async () => {
		await cleanupDb();
		rmSync(logDir, { recursive: true, force: true });
	});

	it('records cleanup and cron runs from the log files once, and the timeline lists them', async () => {
		const lines = (...l: string[]) => l.join('\n') + '\n';
		writeFileSync(
			path.join(logDir, 'vmwarden-cron.jsonl'),
			lines(
				cron(1, 'backup-sync', 0),
				cron(2, 'backup-sync', 1, 3, 'rsync: connection refused'),
				cron(10, 'cleanup-weekly', 1, 31),
				cron(11, 'backup-sync', 0)
			)
		);
		writeFileSync(
			path.join(logDir, 'vm-cleanup.jsonl'),
			lines(
				start(5, 'run-5', 'standard'),
				cleanup(5, 'run-5', 'standard', 'ok', 1.5 * GiB),
				start(10, 'run-10', 'weekly'),
				cleanup(10, 'run-10', 'weekly', 'partial', 300 * 1024 ** 2),
				start(20, 'run-20', 'full', true),
				cleanup(20, 'run-20', 'full', 'ok', 9e9, true)
			)
		);
		const status = statusWith([
			{
				name: 'report',
				state: 'missed',
				expectedRun: iso(at(0)),
				reason: 'expected at 03:00; no run recorded'
			},
			{ name: 'backup-sync', state: 'ok', expectedRun: iso(at(11)), reason: 'ok' }
		]);
		const rec = createRunRecorder({
			db,
			hostId: H,
			logDir,
			status: async () => status,
			retentionMs: 90 * 86_400_000,
			now: () => at(30),
			log: quiet
		});

		expect(await rec.tick()).toBe(4);
		// the next minute: no file changed, nothing is read (the rows deleted here are not written again)
		await db.delete(timelineEvents);
		expect(await rec.tick()).toBe(0);
		expect(await db.select().from(timelineEvents)).toEqual([]);
		// a new run appended: the files are read again, and what was recorded before comes back once
		writeFileSync(path.join(logDir, 'vmwarden-cron.jsonl'), cron(12, 'backup-sync', 0) + '\n', {
			flag: 'a'
		});
		expect(await rec.tick()).toBe(4);
		expect(await rec.tick()).toBe(0);

		const page = await listTimeline(db, { hostId: H, fromMs: at(-10), toMs: at(30) });
		expect(page.items.map((e) => [(e.ts - T0) / 60_000, e.kind, e.severity, e.title])).toEqual([
			[10 + 500 / 60_000, 'cleanup', 'WARN', 'cleanup weekly: partial, freed 300 MiB'],
			[5 + 500 / 60_000, 'cleanup', 'info', 'cleanup standard: freed 1.5 GiB'],
			[2, 'cron', 'CRIT', 'cron job backup-sync failed (exit 1)'],
			[0, 'cron', 'WARN', 'cron job report missed its 2026-12-07 03:00 UTC run']
		]);
		expect(page.items[1]).toMatchObject({ detail: '/ 60.0 % → 58.5 % used', href: '/maintenance' });
		expect(
			(await listTimeline(db, { hostId: H, fromMs: at(-10), toMs: at(30), kinds: ['cron'] })).items
		).toHaveLength(2);
	});

	it('prunes rows of every kind older than the retention, hourly, with or without new runs', async () => {
		let t = at(30);
		const rec = createRunRecorder({
			db,
			hostId: H,
			logDir,
			status: async () =>
				statusWith([{ name: 'report', state: 'missed', expectedRun: iso(at(0)), reason: 'r' }]),
			retentionMs: 60 * 60_000,
			now: () => t,
			log: quiet
		});
		expect(await rec.tick()).toBe(1);
		await createExitTracker({ db, hostId: H, log: quiet, restartCount: async () => 0 }).onEvent({
			Type: 'container',
			Action: 'die',
			Actor: { ID: 'abc', Attributes: { name: 'a-1', exitCode: '1' } },
			timeNano: at(45) * 1e6
		});
		t = at(61); // the missed run is 61 minutes old; an hour since the last prune has not passed
		await rec.tick();
		expect((await db.select().from(timelineEvents)).map((r) => r.kind)).toEqual(['cron', 'docker']);
		t = at(95);
		await rec.tick();
		expect((await db.select().from(timelineEvents)).map((r) => r.kind)).toEqual(['docker']);
	});

	describe('container exits', () => {
		const die = (
			m: number,
			id: string,
			name: string,
			exitCode: number,
			project = 'shop'
		): DockerEventLine => ({
			Type: 'container',
			Action: 'die',
			Actor: {
				ID: id,
				Attributes: { name, exitCode: String(exitCode), 'com.docker.compose.project': project }
			},
			timeNano: at(m) * 1e6 + 123
		});
		const startEv = (m: number, id: string, name: string): DockerEventLine => ({
			Type: 'container',
			Action: 'start',
			Actor: { ID: id, Attributes: { name } },
			timeNano: at(m) * 1e6
		});

		it('records an exit Docker restarted, an exit left down, and not a vmwarden restart', async () => {
			const counts: Record<string, number> = { aaa: 1, bbb: 0, ccc: 0 };
			const t = createExitTracker({
				db,
				hostId: H,
				log: quiet,
				restartCount: async (id) => counts[id.slice(0, 3)] ?? null
			});
			// the watchdog restarts shop-api-1 at 03:01: its intent row is written before Docker's die event
			await db.insert(actions).values({
				hostId: H,
				ts: at(1),
				actor: 'watchdog',
				action: 'watchdog.restart',
				target: 'shop-api-1',
				input: '{"key":"shop/api"}',
				outcome: 'pending'
			});
			for (const e of [
				die(1.1, 'ccc000', 'shop-api-1', 137), // the watchdog's restart: SIGKILL after the stop grace
				startEv(1.3, 'ccc000', 'shop-api-1'),
				die(3, 'aaa000', 'jobs-worker-1', 1), // crashed; Docker's restart policy starts it again
				startEv(3.1, 'aaa000', 'jobs-worker-1'),
				die(4, 'bbb000', 'shop-web-1', 0, 'web') // exited cleanly; nobody started it
			])
				await t.onEvent(e);
			await db.update(actions).set({ outcome: 'ok', endedAt: at(1.4) });
			// 3 s after the restart's outcome shop-api-1 dies on its own (past the 2 s slack): that is listed
			await t.onEvent(die(1.45, 'ccc000', 'shop-api-1', 2));

			const page = await listTimeline(db, { hostId: H, fromMs: at(0), toMs: at(10) });
			expect(
				page.items.map((e) => [(e.ts - T0) / 60_000, e.kind, e.severity, e.container, e.title])
			).toEqual([
				[4, 'docker', 'info', 'shop-web-1', 'shop-web-1 exited (code 0)'],
				[
					3,
					'docker',
					'WARN',
					'jobs-worker-1',
					'jobs-worker-1 exited (code 1), restarted by Docker'
				],
				[1.45, 'docker', 'WARN', 'shop-api-1', 'shop-api-1 exited (code 2)'],
				[1, 'watchdog', 'WARN', 'shop-api-1', 'watchdog.restart shop-api-1']
			]);
			expect(
				(
					await listTimeline(db, { hostId: H, fromMs: at(0), toMs: at(10), stack: 'web' })
				).items.map((e) => e.title)
			).toEqual(['shop-web-1 exited (code 0)']);
		});

		it('records an exit replayed after a re-attach (or a restart of vmwarden) once, restart mark kept', async () => {
			const logged: string[] = [];
			const t = createExitTracker({
				db,
				hostId: H,
				log: { ...quiet, info: (msg: string) => void logged.push(msg) },
				restartCount: async () => 1
			});
			const events = [
				die(1, 'aaa000', 'jobs-worker-1', 1),
				startEv(1.1, 'aaa000', 'jobs-worker-1')
			];
			for (const e of [...events, ...events, events[0]]) await t.onEvent(e);
			const rows = await db.select().from(timelineEvents);
			expect(rows.map((r) => r.title)).toEqual([
				'jobs-worker-1 exited (code 1), restarted by Docker'
			]);
			expect(t.recorded()).toBe(1);
			expect(logged).toEqual(['container exited']);
		});

		it('does not call a manual start (RestartCount reset to 0) a restart by Docker, nor a start long after', async () => {
			const t = createExitTracker({
				db,
				hostId: H,
				log: quiet,
				restartCount: async (id) => (id === 'late00' ? 3 : 0)
			});
			for (const e of [
				die(1, 'man000', 'a-1', 1),
				startEv(2, 'man000', 'a-1'),
				die(1, 'late00', 'b-1', 1),
				startEv(30, 'late00', 'b-1')
			])
				await t.onEvent(e);
			const rows = await db.select().from(timelineEvents);
			expect(rows.map((r) => r.title).sort()).toEqual([
				'a-1 exited (code 1)',
				'b-1 exited (code 1)'
			]);
		});
	});
});
