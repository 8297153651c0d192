// 15-minute rollups of the 1-minute host history, so 30-day trends work without Prometheus.
// Run from the history prune pass (history-store.ts pruneOlderThan): roll up every complete
// 15 minutes not rolled up yet BEFORE the raw minutes are deleted, then drop rollups older than
// their own retention (VMW_HISTORY_ROLLUP_RETENTION_DAYS, 90 by default).
import { and, asc, eq, gte, lt, lte, max, min } from 'drizzle-orm';
import type { HistoryPoint } from '$lib/health';
import type { Db } from './index';
import { hostHistory, hostHistoryRollup } from './schema';

export const ROLLUP_MS = 15 * 60_000;
const MINUTE_MS = 60_000;

export interface RollupPoint extends HistoryPoint {
	minutes: number;
}

type NumKey = 'stealPct' | 'busyPct' | 'load1' | 'memAvailableBytes' | 'swapUsedBytes' | 'swapCachedBytes';
const NUM_KEYS: NumKey[] = ['stealPct', 'busyPct', 'load1', 'memAvailableBytes', 'swapUsedBytes', 'swapCachedBytes'];
const BYTE_KEYS = new Set<NumKey>(['memAvailableBytes', 'swapUsedBytes', 'swapCachedBytes']);

/** Mean of each field over the points that have it (pure); disks per mount. */
export function meanPoint(ts: number, points: HistoryPoint[]): RollupPoint {
	const out = { ts, minutes: points.length, disks: [] } as unknown as RollupPoint;
	for (const k of NUM_KEYS) {
		let sum = 0;
		let n = 0;
		for (const p of points) {
			const v = p[k];
			if (v === null || v === undefined) continue;
			sum += v;
			n++;
		}
		out[k] = n ? (BYTE_KEYS.has(k) ? Math.round(sum / n) : sum / n) : null;
	}
	const disks = new Map<string, { sum: number; n: number }>();
	for (const p of points)
		for (const d of p.disks) {
			const m = disks.get(d.mount) ?? { sum: 0, n: 0 };
			m.sum += d.usedPct;
			m.n++;
			disks.set(d.mount, m);
		}
	out.disks = [...disks].map(([mount, m]) => ({ mount, usedPct: m.sum / m.n }));
	return out;
}

/**
 * Rolls up every complete 15 minutes after the last rollup. 15 minutes are complete once a raw
 * point exists at or after their last minute (the newest raw minute covers up to ts + 1 min).
 * Returns the number of rollup rows written.
 */
export async function rollupHistory(db: Db, { hostId }: { hostId: string }): Promise<number> {
	const [{ lastRollup }] = await db.select({ lastRollup: max(hostHistoryRollup.ts) }).from(hostHistoryRollup).where(eq(hostHistoryRollup.hostId, hostId));
	const [{ firstRaw, lastRaw }] = await db
		.select({ firstRaw: min(hostHistory.ts), lastRaw: max(hostHistory.ts) })
		.from(hostHistory)
		.where(eq(hostHistory.hostId, hostId));
	if (firstRaw === null || lastRaw === null) return 0;
	const fromMs = lastRollup !== null ? lastRollup + ROLLUP_MS : Math.floor(firstRaw / ROLLUP_MS) * ROLLUP_MS;
	const completeBeforeMs = Math.floor((lastRaw + MINUTE_MS) / ROLLUP_MS) * ROLLUP_MS;
	if (completeBeforeMs <= fromMs) return 0;

	const rows = await db
		.select()
		.from(hostHistory)
		.where(and(eq(hostHistory.hostId, hostId), gte(hostHistory.ts, fromMs), lt(hostHistory.ts, completeBeforeMs)))
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
		await db.insert(hostHistoryRollup).values(values.slice(i, i + 500)).onConflictDoNothing();
	}
	return values.length;
}

export async function pruneRollups(db: Db, { hostId, beforeMs }: { hostId: string; beforeMs: number }): Promise<number> {
	const res = await db.delete(hostHistoryRollup).where(and(eq(hostHistoryRollup.hostId, hostId), lt(hostHistoryRollup.ts, beforeMs)));
	return res.rowsAffected;
}

export async function rollupRange(db: Db, { hostId, fromMs, toMs }: { hostId: string; fromMs: number; toMs: number }): Promise<RollupPoint[]> {
	const rows = await db
		.select()
		.from(hostHistoryRollup)
		.where(and(eq(hostHistoryRollup.hostId, hostId), gte(hostHistoryRollup.ts, fromMs), lte(hostHistoryRollup.ts, toMs)))
		.orderBy(asc(hostHistoryRollup.ts));
	return rows.map(({ hostId: _h, ...p }) => p);
}
