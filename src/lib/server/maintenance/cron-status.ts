// Per cron job: schedule, last run, next run and a state (issue 8 items 3 and 4).
//   disabled  commented out in the crontab
//   running   its newest record is a start marker and the cleanup lock is held
//   missed    its schedule says it should have started more than the grace period ago and
//             no record started since
//   failed    its latest run failed (non-zero exit, partial/failed cleanup, interrupted)
//   ok        its latest run succeeded (a held cleanup counts: it did what it was told)
//   unknown   no history can exist (not wrapped in cron-run.sh, not a cleanup) or none found
// The clock is a parameter so tests can fix it.
import type { CronJob } from './crontab';
import { nextRun, previousRun, wrapSuggestion } from './crontab';
import type { RunEntry, RunStatus } from './run-history';

export type JobState = 'ok' | 'failed' | 'missed' | 'running' | 'disabled' | 'unknown';

export interface JobStatus {
	name: string;
	source: string;
	line: number;
	schedule: string;
	description: string;
	enabled: boolean;
	tz: string;
	user: string | null;
	managed: CronJob['managed'];
	/** Shipped by the distribution (run-parts lines, a package's /etc/cron.d file), not the operator's. */
	system: boolean;
	/** The package that ships it, when dpkg says. */
	package: string | null;
	wrapped: boolean;
	cleanupMode: CronJob['cleanupMode'];
	command: string;
	/** Whether runs of this job leave a record the app can read. */
	recorded: boolean;
	/** For an unrecorded job: the crontab line that would record it. */
	wrapSuggestion: string | null;
	lastRun: string | null;
	lastResult: RunStatus | null;
	lastExitCode: number | null;
	lastDurationMs: number | null;
	/** Cleanup jobs: bytes freed by the last run. */
	freedBytes: number | null;
	lastSuccess: string | null;
	/** The latest time the schedule says it should have started (at or before now). */
	expectedRun: string | null;
	nextRun: string | null;
	state: JobState;
	/** One sentence saying why the state is what it is. */
	reason: string;
	last: RunEntry | null;
}

/** Entries (newest first, all jobs) that belong to this job. Dry runs are not scheduled runs. */
export function entriesForJob(
	job: Pick<CronJob, 'name' | 'cleanupMode'>,
	entries: RunEntry[]
): RunEntry[] {
	const own = entries.filter((e) =>
		e.source === 'cron'
			? e.job === job.name
			: job.cleanupMode !== null && e.mode === job.cleanupMode && e.dryRun === false
	);
	return job.cleanupMode ? pairRuns(own) : own;
}

/**
 * A cleanup job wrapped in cron-run.sh leaves two records per run: cron-run's (exit code,
 * output) and the script's (steps, bytes). Join them when the cleanup run started within
 * the cron-run one. Entries are newest first; linear in their number.
 */
export function pairRuns(entries: RunEntry[]): RunEntry[] {
	const cleanups = entries.filter((e) => e.source !== 'cron');
	const twinOf = new Map<RunEntry, RunEntry>(); // cleanup record -> its cron-run record
	const paired = new Set<RunEntry>();
	let k = 0; // both lists are newest first: skip cleanups that started after this cron run ended
	for (const e of entries) {
		if (e.source !== 'cron') continue;
		const start = Date.parse(e.start) - 1000;
		const end = e.end ? Date.parse(e.end) + 1000 : start;
		while (k < cleanups.length && Date.parse(cleanups[k].start) > end) k++;
		const c = cleanups[k];
		if (c && !twinOf.has(c) && Date.parse(c.start) >= start) {
			twinOf.set(c, e);
			paired.add(e);
		}
	}
	return entries.flatMap((e) => {
		if (paired.has(e)) return [];
		const cron = twinOf.get(e);
		if (!cron) return [e];
		return [
			{
				...e,
				job: cron.job,
				exitCode: cron.exitCode,
				outputTail: cron.outputTail,
				end: cron.end ?? e.end,
				status: e.status === 'pending' ? (cron.exitCode === 0 ? 'ok' : 'interrupted') : e.status
			}
		];
	});
}

const SUCCESS: RunStatus[] = ['ok', 'held'];

export function jobStatus({
	job,
	entries,
	now,
	graceMs,
	lockHeld,
	historyFound,
	cronRunPath
}: {
	job: CronJob;
	/** This job's entries, newest first (entriesForJob). */
	entries: RunEntry[];
	now: Date;
	graceMs: number;
	/** Whether the cleanup lock is held right now (only asked for a pending cleanup run). */
	lockHeld: boolean;
	/** Whether any history file exists at all. */
	historyFound: boolean;
	cronRunPath: string;
}): JobStatus {
	const recorded = job.wrapped || job.cleanupMode !== null;
	const last = entries[0] ?? null;
	const lastSuccess = entries.find((e) => SUCCESS.includes(e.status)) ?? null;
	const expected = previousRun(job, now);
	const next = nextRun(job, now);
	const base = {
		name: job.name,
		source: job.source,
		line: job.line,
		schedule: job.schedule,
		description: job.description,
		enabled: job.enabled,
		tz: job.tz,
		user: job.user,
		managed: job.managed,
		system: job.system,
		package: job.package,
		wrapped: job.wrapped,
		cleanupMode: job.cleanupMode,
		command: job.command,
		recorded,
		wrapSuggestion: recorded ? null : wrapSuggestion(job, cronRunPath),
		lastRun: last?.start ?? null,
		lastResult: last?.status ?? null,
		lastExitCode: last?.exitCode ?? null,
		lastDurationMs: last?.durationMs ?? null,
		freedBytes: job.cleanupMode ? (last?.freedBytes ?? null) : null,
		lastSuccess: lastSuccess?.start ?? null,
		expectedRun: expected?.toISOString() ?? null,
		nextRun: next?.toISOString() ?? null,
		last
	};
	const state = (s: JobState, reason: string): JobStatus => ({ ...base, state: s, reason });

	if (!job.enabled) return state('disabled', 'commented out in the crontab');
	if (!recorded)
		return state('unknown', 'no history is recorded for this job: wrap it in cron-run.sh');
	if (last?.status === 'pending') {
		if (lockHeld) return state('running', `running since ${last.start}`);
		return state(
			'failed',
			`started ${last.start} and never wrote its record, and the lock is free (killed?)`
		);
	}
	if (expected && now.getTime() - expected.getTime() > graceMs) {
		// A run starts at its minute; allow a minute of clock skew between cron and the record.
		const ranSince = last !== null && Date.parse(last.start) >= expected.getTime() - 60_000;
		if (!ranSince) {
			if (!historyFound) return state('unknown', 'no history file found');
			return state(
				'missed',
				`expected at ${expected.toISOString()}; ${last ? `last run ${last.start}` : 'no run recorded'}`
			);
		}
	}
	if (!last)
		return state(
			historyFound ? 'unknown' : 'unknown',
			historyFound ? 'no run recorded yet' : 'no history file found'
		);
	if (SUCCESS.includes(last.status))
		return state(
			'ok',
			last.status === 'held'
				? `held: ${last.message ?? ''}`.trim()
				: `last run ${last.start} succeeded`
		);
	const why = last.exitCode !== null && last.exitCode !== 0 ? `exit ${last.exitCode}` : last.status;
	return state(
		'failed',
		`last run ${last.start}: ${why}${last.message ? ` (${last.message})` : ''}`
	);
}

/** How far back status must read: the oldest expected run of any recorded job, minus slack. */
export function statusHorizon(jobs: CronJob[], now: Date, graceMs: number): Date {
	let oldest = now.getTime() - 86_400_000;
	for (const j of jobs) {
		if (!j.enabled || !(j.wrapped || j.cleanupMode)) continue;
		const p = previousRun(j, now);
		if (p) oldest = Math.min(oldest, p.getTime());
	}
	// The run before the expected one shows as "last run" when the expected one was missed.
	return new Date(oldest - graceMs - 86_400_000);
}

/** Prometheus encoding of JobState (vmwarden_cron_job_state). */
export const JOB_STATE_VALUE: Record<JobState, number> = {
	ok: 0,
	running: 1,
	missed: 2,
	failed: 3,
	disabled: 4,
	unknown: 5
};
