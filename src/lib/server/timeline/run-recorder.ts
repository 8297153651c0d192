// Records cleanup runs and failed or missed cron runs in timeline_events (decision 0029). They
// live in the host scripts' log files, which the timeline cannot merge in SQL, and a missed run
// is in no file at all: it is the cron status's verdict at one moment. Every `intervalMs` this
// reads the runs that started since the newest one recorded (less `overlapMs`: a long cleanup
// writes its record after runs that started later) and the cron status, and writes what is new.
// The first read after start-up goes back `firstReadMs` (the days the app was down). A minute
// in which no history file changed and no job newly missed reads nothing (an idle server stays
// idle: decision 0025).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Db } from '../db';
import type { Logger } from '../log';
import { HISTORY_FILES, readHistory } from '../maintenance/run-history';
import type { CronStatus } from '../maintenance/status';
import { newestEventTs, pruneEvents, recordEvents, runEvents } from './events';
import { reasonOf } from '../availability';

export interface RunRecorderOptions {
	db: Db;
	hostId: string;
	/** VMW_LOG_DIR: where cron-run.sh and vm-cleanup.sh write their records */
	logDir: string;
	status: () => Promise<CronStatus>;
	intervalMs?: number;
	overlapMs?: number;
	firstReadMs?: number;
	/** rows of every kind older than this are dropped (hourly) */
	retentionMs: number;
	now?: () => number;
	log: Logger;
}

export function createRunRecorder(o: RunRecorderOptions) {
	const now = o.now ?? Date.now;
	const intervalMs = o.intervalMs ?? 60_000;
	const overlapMs = o.overlapMs ?? 2 * 3_600_000;
	const firstReadMs = o.firstReadMs ?? 7 * 86_400_000;
	let timer: ReturnType<typeof setTimeout> | null = null;
	let ticking: Promise<number> | null = null;
	let lastError: string | null = null;
	/** the history files' names, sizes, mtimes and inodes plus the missed runs, at the last read */
	let lastKey: string | null = null;
	let lastPruneAt = -Infinity;

	async function filesKey(): Promise<string> {
		const parts = await Promise.all(
			[HISTORY_FILES.cron, HISTORY_FILES.cleanup].map(async (n) => {
				const s = await fsp.stat(path.join(o.logDir, n)).catch(() => null);
				return s ? `${n}:${s.size}:${s.mtimeMs}:${s.ino}` : `${n}:-`;
			})
		);
		return parts.join('|');
	}

	/** One read and write; returns how many rows were new. */
	async function tickOnce(): Promise<number> {
		const t = now();
		// every kind's rows (health and exits too), at most hourly, whether or not the files changed
		if (t - lastPruneAt >= 3_600_000) {
			await pruneEvents(o.db, o.hostId, t - o.retentionMs);
			lastPruneAt = t;
		}
		const status = await o.status().catch(() => null);
		const jobs = status?.jobs ?? [];
		const key = `${await filesKey()}|${jobs
			.filter((j) => j.state === 'missed')
			.map((j) => `${j.name}@${j.expectedRun}`)
			.join(',')}`;
		if (key === lastKey) return 0;
		const newest = await newestEventTs(o.db, o.hostId, ['cleanup', 'cron']);
		const since = Math.max(t - firstReadMs, newest === null ? 0 : newest - overlapMs);
		// successful cron runs are most of the file and never a row: not kept (the read still stops at `since`)
		const page = await readHistory({
			logDir: o.logDir,
			limit: 20_000,
			stopAt: (e) => Date.parse(e.start) < since,
			filter: (e) => e.source !== 'cron' || e.exitCode !== 0
		});
		const added = await recordEvents(o.db, runEvents(o.hostId, page.entries, jobs));
		lastKey = key;
		return added;
	}

	function tick(): Promise<number> {
		ticking ??= tickOnce()
			.then(
				(n) => ((lastError = null), n),
				(err) => {
					const reason = reasonOf(err);
					if (reason !== lastError)
						o.log.warn('timeline: cannot record cleanup and cron runs', { reason });
					lastError = reason;
					return 0;
				}
			)
			.finally(() => (ticking = null));
		return ticking;
	}

	function loop() {
		timer = setTimeout(() => void tick().finally(() => timer && loop()), intervalMs);
		timer.unref?.();
	}

	return {
		tick,
		start() {
			if (timer) return;
			void tick();
			loop();
		},
		async stop() {
			if (timer) clearTimeout(timer);
			timer = null;
			await ticking;
		},
		status: () => ({ lastError })
	};
}

export type RunRecorder = ReturnType<typeof createRunRecorder>;
