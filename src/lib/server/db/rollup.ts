// 15-minute rollups of the 1-minute host history, so 30-day trends work without Prometheus.
// Run from the history prune pass (history-store.ts pruneOlderThan): roll up every complete
// 15 minutes not rolled up yet BEFORE the raw minutes are deleted, then drop rollups older than
// their own retention (VMW_HISTORY_ROLLUP_RETENTION_DAYS, 90 by default).
import { and, asc, eq, gte, lt, lte, max, min } from 'drizzle-orm';
import type { HistoryPoint } from '$lib/health';
import type { Db } from './index';
import { meanPoint as minuteMean, MINUTE_MS } from '../host/minute-history';
import { hostHistory, hostHistoryRollup } from './schema';
import { yieldToLoop } from './history-buckets';

export const ROLLUP_MS = 15 * 60_000;
/** Minutes rolled up per read: a day (a multiple of ROLLUP_MS, so no 15 minutes are split). */
const ROLLUP_CHUNK_MS = 86_400_000;

export interface RollupPoint extends HistoryPoint {
	minutes: number;
}

/** Mean of each field over the points that have it (pure); disks per mount: the minute mean, over 15 minutes. */
export function meanPoint(ts: number, points: HistoryPoint[]): RollupPoint {
	return { ...minuteMean(ts, points), minutes: points.length };
}

/**
 * Rolls up every complete 15 minutes after the last rollup. 15 minutes are complete once a raw
 * point exists at or after their last minute (the newest raw minute covers up to ts + 1 min).
 * Returns the number of rollup rows written.
 */
export async function rollupHistory(db: Db, { hostId }: { hostId: string }): Promise<number> {
	const [{ lastRollup }] = await db
		.select({ lastRollup: max(hostHistoryRollup.ts) })
		.from(hostHistoryRollup)
		.where(eq(hostHistoryRollup.hostId, hostId));
	const [{ firstRaw, lastRaw }] = await db
		.select({ firstRaw: min(hostHistory.ts), lastRaw: max(hostHistory.ts) })
		.from(hostHistory)
		.where(eq(hostHistory.hostId, hostId));
	if (firstRaw === null || lastRaw === null) return 0;
	const fromMs =
		lastRollup !== null ? lastRollup + ROLLUP_MS : Math.floor(firstRaw / ROLLUP_MS) * ROLLUP_MS;
	const completeBeforeMs = Math.floor((lastRaw + MINUTE_MS) / ROLLUP_MS) * ROLLUP_MS;
	if (completeBeforeMs <= fromMs) return 0;

	// a day of minutes per read, with a turn of the event loop between days (issue 21): after a long
	// outage, or on the first pass over a week of history, requests keep being answered meanwhile
	let written = 0;
	for (let start = fromMs; start < completeBeforeMs; start += ROLLUP_CHUNK_MS) {
		if (start > fromMs) await yieldToLoop();
		const rows = await db
			.select()
			.from(hostHistory)
			.where(
				and(
					eq(hostHistory.hostId, hostId),
					gte(hostHistory.ts, start),
					lt(hostHistory.ts, Math.min(completeBeforeMs, start + ROLLUP_CHUNK_MS))
				)
			)
			.orderBy(asc(hostHistory.ts));
		const buckets = new Map<number, HistoryPoint[]>();
		for (const { hostId: _h, ...p } of rows) {
			const b = Math.floor(p.ts / ROLLUP_MS) * ROLLUP_MS;
			let list = buckets.get(b);
			if (!list) buckets.set(b, (list = []));
			list.push(p);
		}
		const values = [...buckets].map(([ts, points]) => ({ hostId, ...meanPoint(ts, points) }));
		// chunks keep each statement well under SQLite's bound-parameter limit
		for (let i = 0; i < values.length; i += 500) {
			await db
				.insert(hostHistoryRollup)
				.values(values.slice(i, i + 500))
				.onConflictDoNothing();
		}
		written += values.length;
	}
	return written;
}

export async function pruneRollups(
	db: Db,
	{ hostId, beforeMs }: { hostId: string; beforeMs: number }
): Promise<number> {
	const res = await db
		.delete(hostHistoryRollup)
		.where(and(eq(hostHistoryRollup.hostId, hostId), lt(hostHistoryRollup.ts, beforeMs)));
	return res.rowsAffected;
}

export async function rollupRange(
	db: Db,
	{ hostId, fromMs, toMs }: { hostId: string; fromMs: number; toMs: number }
): Promise<RollupPoint[]> {
	const rows = await db
		.select()
		.from(hostHistoryRollup)
		.where(
			and(
				eq(hostHistoryRollup.hostId, hostId),
				gte(hostHistoryRollup.ts, fromMs),
				lte(hostHistoryRollup.ts, toMs)
			)
		)
		.orderBy(asc(hostHistoryRollup.ts));
	return rows.map(({ hostId: _h, ...p }) => p);
}
