import { describe, expect, it } from 'vitest';
import { parseCrontab } from './crontab';
import { entriesForJob, jobStatus, pairRuns, statusHorizon } from './cron-status';
import type { RunEntry } from './run-history';

const crontab = parseCrontab(
	[
		'CRON_TZ=UTC',
		'0 7 * * * /s/cron-run.sh health-check -- /s/vm-health-check.sh --alert',
		'30 3 * * 1-6 /s/cron-run.sh cleanup-standard -- /s/vm-cleanup.sh --standard',
		'*/10 * * * * /opt/x/backup.sh',
		'# 15 2 * * * /s/cron-run.sh old -- /opt/old.sh',
		''
	].join('\n'),
	{ source: 'root' }
).jobs;
const job = (name: string) => crontab.find((j) => j.name === name)!;

function entry(p: Partial<RunEntry>): RunEntry {
	return {
		id: 'x',
		source: 'cron',
		job: null,
		start: '2026-11-30T07:00:01.000Z',
		end: null,
		durationMs: 1000,
		exitCode: 0,
		status: 'ok',
		mode: null,
		dryRun: null,
		freedBytes: null,
		message: null,
		outputTail: null,
		steps: null,
		diskBefore: null,
		diskAfter: null,
		pid: null,
		file: 'f',
		...p
	};
}

const base = {
	graceMs: 15 * 60_000,
	lockHeld: false,
	historyFound: true,
	cronRunPath: '/s/cron-run.sh'
};

// The fixed clock: Monday 2026-11-30. health-check is due 07:00, cleanup-standard 03:30.
describe('jobStatus with a fixed clock', () => {
	const hc = job('health-check');
	it.each([
		// [now, entries, state] — grace is 15 min: 07:14:59 is within, 07:15:01 is past it.
		[
			'2026-11-30T07:14:59Z',
			[entry({ job: 'health-check', start: '2026-11-29T07:00:01.000Z' })],
			'ok'
		],
		[
			'2026-11-30T07:15:01Z',
			[entry({ job: 'health-check', start: '2026-11-29T07:00:01.000Z' })],
			'missed'
		],
		[
			'2026-11-30T07:15:01Z',
			[entry({ job: 'health-check', start: '2026-11-30T07:00:02.000Z' })],
			'ok'
		],
		[
			'2026-11-30T07:15:01Z',
			[
				entry({
					job: 'health-check',
					start: '2026-11-30T07:00:02.000Z',
					exitCode: 2,
					status: 'failed'
				})
			],
			'failed'
		],
		['2026-11-30T07:15:01Z', [], 'missed']
	] as const)('at %s -> %s', (now, entries, expected) => {
		const s = jobStatus({ ...base, job: hc, entries: [...entries], now: new Date(now) });
		expect(s.state).toBe(expected);
	});

	it('says why, with the expected time, when missed', () => {
		const s = jobStatus({
			...base,
			job: hc,
			entries: [entry({ job: 'health-check', start: '2026-11-29T07:00:01.000Z' })],
			now: new Date('2026-11-30T08:00:00Z')
		});
		expect(s).toMatchObject({
			state: 'missed',
			expectedRun: '2026-11-30T07:00:00.000Z',
			nextRun: '2026-12-01T07:00:00.000Z',
			lastRun: '2026-11-29T07:00:01.000Z',
			reason: 'expected at 2026-11-30T07:00:00.000Z; last run 2026-11-29T07:00:01.000Z'
		});
	});

	it('a pending cleanup run is running while the lock is held, failed when it is free', () => {
		const cs = job('cleanup-standard');
		const pending = entry({
			source: 'cleanup',
			mode: 'standard',
			dryRun: false,
			status: 'pending',
			start: '2026-11-30T03:30:00.100Z',
			exitCode: null
		});
		const now = new Date('2026-11-30T04:00:00Z');
		expect(jobStatus({ ...base, job: cs, entries: [pending], now, lockHeld: true }).state).toBe(
			'running'
		);
		expect(jobStatus({ ...base, job: cs, entries: [pending], now, lockHeld: false }).state).toBe(
			'failed'
		);
	});

	it('cleanup: freed bytes of the last run, partial is failed, held is ok', () => {
		const cs = job('cleanup-standard');
		const now = new Date('2026-11-30T04:00:00Z');
		const run = (status: RunEntry['status']) =>
			entry({
				source: 'cleanup',
				mode: 'standard',
				dryRun: false,
				status,
				freedBytes: 4096,
				start: '2026-11-30T03:30:00.100Z',
				exitCode: null
			});
		expect(jobStatus({ ...base, job: cs, entries: [run('ok')], now })).toMatchObject({
			state: 'ok',
			freedBytes: 4096
		});
		expect(jobStatus({ ...base, job: cs, entries: [run('partial')], now }).state).toBe('failed');
		expect(jobStatus({ ...base, job: cs, entries: [run('held')], now }).state).toBe('ok');
	});

	it('an unwrapped job is unknown with the line that would record it; a commented-out one is disabled', () => {
		const s = jobStatus({
			...base,
			job: job('backup'),
			entries: [],
			now: new Date('2026-11-30T04:00:00Z')
		});
		expect(s).toMatchObject({
			state: 'unknown',
			recorded: false,
			wrapSuggestion: '*/10 * * * * /s/cron-run.sh backup -- /opt/x/backup.sh'
		});
		expect(jobStatus({ ...base, job: job('old'), entries: [], now: new Date() }).state).toBe(
			'disabled'
		);
	});

	it('without any history file, a recorded job is unknown, not missed', () => {
		expect(
			jobStatus({
				...base,
				historyFound: false,
				job: hc,
				entries: [],
				now: new Date('2026-11-30T08:00:00Z')
			}).state
		).toBe('unknown');
	});
});

describe('entriesForJob and pairRuns', () => {
	it('joins the cron-run record and the cleanup record of one run; dry runs do not count', () => {
		const all = [
			entry({
				id: 'cleanup-standard@a',
				job: 'cleanup-standard',
				start: '2026-11-30T03:30:00.050Z',
				end: '2026-11-30T03:30:02.000Z',
				exitCode: 1,
				outputTail: 'tail'
			}),
			entry({
				id: 'run-1',
				source: 'cleanup',
				mode: 'standard',
				dryRun: false,
				status: 'partial',
				start: '2026-11-30T03:30:00.100Z',
				exitCode: null,
				freedBytes: 10
			}),
			entry({
				id: 'dry',
				source: 'cleanup',
				mode: 'standard',
				dryRun: true,
				start: '2026-11-29T10:00:00.000Z',
				exitCode: null
			}),
			entry({ id: 'health-check@b', job: 'health-check' })
		];
		const own = entriesForJob(job('cleanup-standard'), all);
		expect(own).toHaveLength(1);
		expect(own[0]).toMatchObject({
			id: 'run-1',
			job: 'cleanup-standard',
			exitCode: 1,
			outputTail: 'tail',
			freedBytes: 10,
			status: 'partial'
		});
		expect(pairRuns([all[0]])).toEqual([all[0]]); // no twin: kept as is (e.g. exit 75)
	});
});

describe('statusHorizon', () => {
	it('reaches back to the oldest expected run of a recorded job, plus grace and a day', () => {
		// health-check expected 2026-11-30T07:00, cleanup-standard 2026-11-28T03:30 (Sunday is off):
		// at Sunday-free Monday 03:00 the last Mon-Sat 03:30 was Saturday the 28th.
		const h = statusHorizon(crontab, new Date('2026-11-30T03:00:00Z'), 15 * 60_000);
		expect(h.toISOString()).toBe('2026-11-27T03:15:00.000Z');
	});
});
