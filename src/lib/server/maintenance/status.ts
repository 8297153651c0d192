// Builds cron.status: crontabs + history + the clock. The scan of the history files is
// cached by the files' names, sizes and mtimes: until a job writes a record, a status call
// only re-reads the crontabs and recomputes states against the clock.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { readCrontabs, type CrontabSet } from './crontab-sources';
import { entriesForJob, jobStatus, statusHorizon, type JobStatus } from './cron-status';
import { readHistory, type HistoryStats, type RunEntry, HISTORY_FILES } from './run-history';
import { previousRun, type CleanupMode, type CronJob } from './crontab';
import { listInside } from '../fs/safe-path';

export interface CleanupSummary {
	id: string;
	start: string;
	mode: CleanupMode | null;
	status: RunEntry['status'];
	freedBytes: number | null;
	dryRun: boolean;
	source: RunEntry['source'];
}

export interface CronStatus {
	at: string;
	jobs: JobStatus[];
	/** Crontab lines that could not be parsed, with the reason. */
	invalid: CrontabSet['invalid'];
	crontabs: CrontabSet['sources'];
	history: HistoryStats & {
		logDir: string;
		files: Record<'cron' | 'cleanup' | 'cleanupLog', string>;
	};
	/** Newest real (not dry) cleanup run: the "Last cleanup: <date>, freed <size>" line. */
	lastCleanup: CleanupSummary | null;
	/** Up to 30 newest cleanup runs (dry runs included, flagged), newest first: chart and table. */
	recentCleanups: CleanupSummary[];
	graceMs: number;
}

export interface StatusOptions {
	logDir: string;
	crontabs: string[];
	defaultTz: string;
	/** Where the host's files are ('/' or '/host/rootfs'); see crontab-sources. Default '/'. */
	rootfs?: string;
	graceMs: number;
	cronRunPath: string;
	/** Whether the cleanup lock is held now (asked only when a cleanup run is pending). */
	lockHeld: () => Promise<boolean>;
}

const CHART_RUNS = 30;

const summary = (e: RunEntry): CleanupSummary => ({
	id: e.id,
	start: e.start,
	mode: e.mode,
	status: e.status,
	freedBytes: e.freedBytes,
	dryRun: e.dryRun === true,
	source: e.source
});

async function filesKey(logDir: string): Promise<string | null> {
	try {
		const real = await fsp.realpath(logDir);
		const names = (await listInside(logDir, '.')).filter((n) =>
			Object.values(HISTORY_FILES).some((b) => n.startsWith(b))
		);
		const parts = await Promise.all(
			names.map(async (n) => {
				const s = await fsp.stat(path.join(real, n)).catch(() => null);
				return s ? `${n}:${s.size}:${s.mtimeMs}:${s.ino}` : `${n}:?`;
			})
		);
		return parts.join('|');
	} catch {
		return null;
	}
}

export function createStatusReader(opts: StatusOptions) {
	let cache: { key: string; horizonMs: number; entries: RunEntry[]; stats: HistoryStats } | null =
		null;
	// cron-run.sh job names any scan has found runs of: a commented-out line that ran is a
	// disabled job, not a comment. (Cleanup records do not say whether cron started them.)
	// Grows with the distinct names in the history, a handful.
	const ranJobs = new Set<string>();
	const ranBefore = (job: CronJob) => ranJobs.has(job.name);
	const read = () =>
		readCrontabs({
			specs: opts.crontabs,
			defaultTz: opts.defaultTz,
			rootfs: opts.rootfs,
			ranBefore
		});

	/**
	 * Read newest first back to the horizon, but stop each stream early once it can add
	 * nothing to any job's state: every job fed by cron-run records has shown a run at or
	 * before its expected time and a success (for cleanup jobs the script's own records
	 * suffice, so a monthly job does not drag the busy cron file back a month).
	 */
	async function scan(horizon: Date, jobs: CronJob[], now: Date) {
		const key = await filesKey(opts.logDir);
		if (key !== null && cache && cache.key === key && cache.horizonMs <= horizon.getTime())
			return cache;
		const h = horizon.toISOString();
		const need = jobs.filter((j) => j.enabled && (j.wrapped || j.cleanupMode));
		const expected = new Map(
			need.map((j) => [j.name, (previousRun(j, now)?.getTime() ?? now.getTime()) - 60_000])
		);
		const cronJobs = new Map(
			need
				.filter((j) => j.wrapped && !j.cleanupMode)
				.map((j) => [j.name, { passed: false, success: false }])
		);
		const cleanupJobs = need
			.filter((j) => j.cleanupMode)
			.map((j) => ({
				mode: j.cleanupMode,
				at: expected.get(j.name)!,
				passed: false,
				success: false
			}));
		let cronOpen = cronJobs.size;
		let cleanupOpen = cleanupJobs.length;
		const page = await readHistory({
			logDir: opts.logDir,
			limit: 1_000_000,
			stopAt: (e) => e.start < h,
			stopStream: (s) => (s === 'cron' ? cronOpen === 0 : cleanupOpen === 0),
			filter: (e) => {
				const t = Date.parse(e.start);
				const ok = e.status === 'ok' || e.status === 'held';
				if (e.source === 'cron') {
					const st = e.job ? cronJobs.get(e.job) : undefined;
					if (st && !(st.passed && st.success)) {
						st.passed ||= t < expected.get(e.job!)!;
						st.success ||= ok;
						if (st.passed && st.success) cronOpen -= 1;
					}
				} else if (e.dryRun === false && e.status !== 'pending') {
					for (const st of cleanupJobs) {
						if (st.mode !== e.mode || (st.passed && st.success)) continue;
						st.passed ||= t < st.at;
						st.success ||= ok;
						if (st.passed && st.success) cleanupOpen -= 1;
					}
				}
				return true;
			}
		});
		let entries = page.entries;
		const cleanups = entries.filter((e) => e.source !== 'cron' && e.status !== 'pending').length;
		if (cleanups < CHART_RUNS) {
			// The chart wants 30 runs: read on in the cleanup files only, at most 31 days past the horizon.
			const limit = new Date(horizon.getTime() - 31 * 86_400_000).toISOString();
			const more = await readHistory({
				logDir: opts.logDir,
				limit: CHART_RUNS + 5,
				streams: { cron: false },
				stopAt: (e) => e.start < limit
			});
			const seen = new Set(entries.map((e) => e.id));
			entries = [...entries, ...more.entries.filter((e) => !seen.has(e.id))];
			page.stats.malformed += more.stats.malformed;
		}
		const fresh = { key: key ?? '', horizonMs: horizon.getTime(), entries, stats: page.stats };
		if (key !== null) cache = fresh;
		return fresh;
	}

	return {
		async status(now = new Date()): Promise<CronStatus> {
			let set = await read();
			const { entries, stats } = await scan(
				statusHorizon(set.jobs, now, opts.graceMs),
				set.jobs,
				now
			);
			for (const e of entries) if (e.source === 'cron' && e.job) ranJobs.add(e.job);
			// Enabled jobs are named before disabled ones, so this second read renames none of them.
			if (set.unconfirmed.some(ranBefore)) set = await read();
			const historyFound = stats.found.cron || stats.found.cleanup || stats.found.cleanupLog;
			const pending = entries.some((e) => e.status === 'pending');
			const lockHeld = pending ? await opts.lockHeld().catch(() => false) : false;
			const jobs = set.jobs.map((job) =>
				jobStatus({
					job,
					entries: entriesForJob(job, entries),
					now,
					graceMs: opts.graceMs,
					lockHeld,
					historyFound,
					cronRunPath: opts.cronRunPath
				})
			);
			const runs = entries.filter((e) => e.source !== 'cron' && e.status !== 'pending');
			const real = runs.filter((e) => e.dryRun === false);
			return {
				at: now.toISOString(),
				jobs,
				invalid: set.invalid,
				crontabs: set.sources,
				history: {
					...stats,
					logDir: opts.logDir,
					files: {
						cron: path.join(opts.logDir, HISTORY_FILES.cron),
						cleanup: path.join(opts.logDir, HISTORY_FILES.cleanup),
						cleanupLog: path.join(opts.logDir, HISTORY_FILES.cleanupLog)
					}
				},
				lastCleanup: real[0] ? summary(real[0]) : null,
				recentCleanups: runs.slice(0, CHART_RUNS).map(summary),
				graceMs: opts.graceMs
			};
		},
		/** Forget the cached scan (tests, benchmarks). */
		clearCache() {
			cache = null;
		}
	};
}
