import { and, asc, eq, gte, lt, lte, max } from 'drizzle-orm';
import type { HistoryPoint } from '$lib/health';
import type { Db } from './index';
import { hostHistory, hostHistoryRollup } from './schema';
import { pruneRollups, rollupHistory, ROLLUP_MS } from './rollup';
import { createHistoryBuckets, type Buckets } from './history-buckets';

/**
 * SQLite side of the sampler's HistoryStore: one row per host and minute. With
 * `rollupRetentionMs` the prune pass first rolls complete 15 minutes up (db/rollup.ts) and prunes
 * rollups older than that.
 */
export function createHistoryStore(
	db: Db,
	hostId: string,
	{ rollupRetentionMs, now = Date.now }: { rollupRetentionMs?: number; now?: () => number } = {}
) {
	// the settled buckets of both tables, kept per step (settled-buckets.ts)
	const kept = createHistoryBuckets({ db, hostId, now });
	return {
		async insert(p: HistoryPoint) {
			const row = { hostId, ...p };
			await db
				.insert(hostHistory)
				.values(row)
				.onConflictDoUpdate({ target: [hostHistory.hostId, hostHistory.ts], set: p });
		},
		async pruneOlderThan(tsMs: number) {
			if (rollupRetentionMs !== undefined) {
				await rollupHistory(db, { hostId });
				await pruneRollups(db, { hostId, beforeMs: now() - rollupRetentionMs });
			}
			const res = await db
				.delete(hostHistory)
				.where(and(eq(hostHistory.hostId, hostId), lt(hostHistory.ts, tsMs)));
			return res.rowsAffected;
		},
		async range({ fromMs, toMs }: { fromMs: number; toMs: number }): Promise<HistoryPoint[]> {
			const rows = await db
				.select()
				.from(hostHistory)
				.where(
					and(
						eq(hostHistory.hostId, hostId),
						gte(hostHistory.ts, fromMs),
						lte(hostHistory.ts, toMs)
					)
				)
				.orderBy(asc(hostHistory.ts));
			return rows.map(({ hostId: _h, ...p }) => p);
		},
		/**
		 * Means per step, grouped by SQLite (history-buckets.ts), the settled ones kept in memory. A
		 * step of whole 15 minutes reads the rollups where they exist (15 times fewer rows) and the
		 * minutes after the last one. The points are shared between answers: do not change them.
		 */
		async buckets({
			fromMs,
			toMs,
			stepMs
		}: {
			fromMs: number;
			toMs: number;
			stepMs: number;
		}): Promise<Buckets> {
			const raw = (from: number) =>
				kept.buckets({ table: 'host_history', fromMs: from, toMs, stepMs });
			if (rollupRetentionMs === undefined || stepMs % ROLLUP_MS !== 0) return raw(fromMs);
			const [{ last }] = await db
				.select({ last: max(hostHistoryRollup.ts) })
				.from(hostHistoryRollup)
				.where(eq(hostHistoryRollup.hostId, hostId));
			// buckets wholly covered by rollups come from them; the rest from the minutes
			const boundary =
				last === null
					? fromMs
					: Math.min(toMs + 1, Math.floor((last + ROLLUP_MS) / stepMs) * stepMs);
			if (boundary <= fromMs) return raw(fromMs);
			const old = await kept.buckets({
				table: 'host_history_rollup',
				fromMs,
				toMs: boundary - 1,
				stepMs
			});
			const fresh = boundary <= toMs ? await raw(boundary) : { points: [], lastRowTs: null };
			// a rollup stamped t covers the minutes up to t + 14 min
			const lastRowTs =
				fresh.lastRowTs ?? (old.lastRowTs === null ? null : old.lastRowTs + ROLLUP_MS - 60_000);
			return { points: [...old.points, ...fresh.points], lastRowTs };
		},
		/** Means per step of the 15-minute rollups alone (the local trends beyond the minutes' retention). */
		rollupBuckets({ fromMs, toMs, stepMs }: { fromMs: number; toMs: number; stepMs: number }) {
			return kept.buckets({ table: 'host_history_rollup', fromMs, toMs, stepMs });
		}
	};
}

export type SqliteHistoryStore = ReturnType<typeof createHistoryStore>;

/**
 * Whether the sampler recorded anything for this host in [fromMs, toMs): a minute row, or its
 * 15-minute rollup once the minutes were pruned. "The app was running then."
 */
export async function sampledBetween(
	db: Db,
	{ hostId, fromMs, toMs }: { hostId: string; fromMs: number; toMs: number }
): Promise<boolean> {
	for (const t of [hostHistory, hostHistoryRollup]) {
		const [row] = await db
			.select({ ts: t.ts })
			.from(t)
			.where(and(eq(t.hostId, hostId), gte(t.ts, fromMs), lt(t.ts, toMs)))
			.limit(1);
		if (row) return true;
	}
	return false;
}
