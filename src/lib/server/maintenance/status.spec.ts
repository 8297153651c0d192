import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStatusReader } from './status';
import { registerMaintenanceMetrics } from './metrics';

// Fixed clock: Monday 2026-11-30 08:00 UTC. Every 5 min backup-sync (cron-run), a daily 07:00
// health-check, cleanup-standard Mon-Sat 03:30 (cleanup records), cleanup-full on the 1st.
const NOW = new Date('2026-11-30T08:00:00Z');
const CRONTAB = [
	'*/5 * * * * /s/cron-run.sh backup-sync -- /s/sync.sh',
	'0 7 * * * /s/cron-run.sh health-check -- /s/vm-health-check.sh',
	'30 3 * * 1-6 /s/cron-run.sh cleanup-standard -- /s/vm-cleanup.sh --standard',
	'0 4 1 * * /s/cron-run.sh cleanup-full -- /s/vm-cleanup.sh --full',
	''
].join('\n');

const cron = (job: string, startIso: string, exitCode = 0) => {
	const end = new Date(Date.parse(startIso) + 2000).toISOString();
	return JSON.stringify({ job, start: startIso, end, exitCode, durationMs: 2000, outputTail: 'o' });
};
const cleanup = (runId: string, ts: string, mode: string, freed: number, dryRun = false) =>
	[
		JSON.stringify({ event: 'start', runId, ts, mode, dryRun, pid: 7, hostId: 'vm' }),
		JSON.stringify({
			runId,
			hostId: 'vm',
			ts,
			mode,
			dryRun,
			diskBefore: null,
			diskAfter: null,
			freedBytes: freed,
			durationMs: 900,
			status: 'ok',
			steps: []
		})
	].join('\n');

let dir: string;
beforeAll(() => {
	dir = mkdtempSync(path.join(tmpdir(), 'vmw-status-'));
	writeFileSync(path.join(dir, 'root'), CRONTAB);
	const lines: string[] = [];
	// backup-sync every 5 min for the last 2 days up to 07:55 (the 08:00 run is within grace).
	for (
		let t = Date.parse('2026-11-28T08:00:00Z');
		t <= Date.parse('2026-11-30T07:55:00Z');
		t += 300_000
	)
		lines.push(cron('backup-sync', new Date(t + 100).toISOString()));
	lines.push(cron('health-check', '2026-11-29T07:00:00.500Z')); // today's 07:00 run is missing
	lines.push(cron('cleanup-standard', '2026-11-30T03:30:00.050Z', 1));
	lines.sort((a, b) => (JSON.parse(a).start < JSON.parse(b).start ? -1 : 1));
	writeFileSync(path.join(dir, 'vmwarden-cron.jsonl'), lines.join('\n') + '\n');
	writeFileSync(
		path.join(dir, 'vm-cleanup.jsonl'),
		[
			cleanup('full-1', '2026-11-01T04:00:00.100Z', 'full', 5000),
			cleanup('std-28', '2026-11-28T03:30:00.100Z', 'standard', 100),
			cleanup('dry-29', '2026-11-29T12:00:00.000Z', 'standard', 7, true),
			cleanup('std-30', '2026-11-30T03:30:00.100Z', 'standard', 300)
		].join('\n') + '\n'
	);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const reader = () =>
	createStatusReader({
		logDir: dir,
		crontabs: [path.join(dir, 'root')],
		defaultTz: 'UTC',
		graceMs: 15 * 60_000,
		cronRunPath: '/s/cron-run.sh',
		lockHeld: async () => false
	});

describe('createStatusReader', () => {
	it('gives each job its state at a fixed time', async () => {
		const s = await reader().status(NOW);
		expect(s.jobs.map((j) => [j.name, j.state, j.lastRun])).toEqual([
			['backup-sync', 'ok', '2026-11-30T07:55:00.100Z'],
			// expected 07:00 today, 60 min ago > 15 min grace, last run yesterday
			['health-check', 'missed', '2026-11-29T07:00:00.500Z'],
			// the 03:30 run: cron-run's exit 1 joined to the script's record (ok, 300 bytes)
			['cleanup-standard', 'ok', '2026-11-30T03:30:00.100Z'],
			['cleanup-full', 'ok', '2026-11-01T04:00:00.100Z']
		]);
		expect(s.jobs[2]).toMatchObject({ freedBytes: 300, lastExitCode: 1 });
		expect(s.lastCleanup).toMatchObject({ id: 'std-30', freedBytes: 300 });
		// newest first, the dry run flagged
		expect(s.recentCleanups.map((r) => [r.id, r.dryRun])).toEqual([
			['std-30', false],
			['dry-29', true],
			['std-28', false],
			['full-1', false]
		]);
	});

	it('sees a record appended after a cached scan', async () => {
		const r = reader();
		const later = new Date('2026-11-30T07:20:00Z');
		expect((await r.status(later)).jobs[1].state).toBe('missed');
		appendFileSync(
			path.join(dir, 'vmwarden-cron.jsonl'),
			cron('health-check', '2026-11-30T07:00:01.000Z') + '\n'
		);
		expect((await r.status(later)).jobs[1]).toMatchObject({
			state: 'ok',
			lastRun: '2026-11-30T07:00:01.000Z'
		});
	});

	it('feeds the /metrics gauges', async () => {
		const registry = new Registry();
		const r = reader();
		registerMaintenanceMetrics(registry, () => r.status(NOW));
		const text = await registry.metrics();
		// states: ok 0, missed 2 — health-check now has today's run (appended above): ok
		expect(text).toContain('vmwarden_cron_job_state{cron_job="backup-sync"} 0');
		expect(text).toContain('vmwarden_cron_job_state{cron_job="health-check"} 0');
		expect(text).toContain(
			`vmwarden_cron_last_success_timestamp_seconds{cron_job="cleanup-full"} ${Date.parse('2026-11-01T04:00:00.100Z') / 1000}`
		);
		// 300 + 100 + 5000 real bytes; the 7-byte dry run is not counted
		expect(text).toContain('vmwarden_cleanup_freed_bytes_total 5400');
	});

	it('lists a commented-out line as a disabled job when the history has its runs, else not at all', async () => {
		// /s/… exists nowhere under this rootfs: only the history can say these lines were jobs.
		writeFileSync(
			path.join(dir, 'commented'),
			'# */5 * * * * /s/cron-run.sh backup-sync -- /s/sync.sh\n# 0 9 * * * /s/cron-run.sh never-ran -- /s/x.sh\n0 7 * * * /s/cron-run.sh health-check -- /s/vm-health-check.sh\n'
		);
		const r = createStatusReader({
			logDir: dir,
			crontabs: [path.join(dir, 'commented')],
			defaultTz: 'UTC',
			rootfs: path.join(dir, 'empty-rootfs'),
			graceMs: 15 * 60_000,
			cronRunPath: '/s/cron-run.sh',
			lockHeld: async () => false
		});
		const s = await r.status(NOW);
		expect(s.jobs.map((j) => [j.name, j.state, j.system])).toEqual([
			['backup-sync', 'disabled', false],
			['health-check', expect.any(String), false]
		]);
	});
});
