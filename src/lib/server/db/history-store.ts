import { and, asc, eq, gte, lt, lte } from 'drizzle-orm';
import type { HistoryPoint } from '$lib/health';
import type { Db } from './index';
import { hostHistory } from './schema';
import { pruneRollups, rollupHistory } from './rollup';
import { historyBuckets, type Buckets } from './history-buckets';

/**
 * SQLite side of the sampler's HistoryStore: one row per host and minute. With
 * `rollupRetentionMs` the prune pass first rolls complete 15 minutes up (db/rollup.ts) and prunes
 * rollups older than that.
 */
export function createHistoryStore(db: Db, hostId: string, { rollupRetentionMs, now = Date.now }: { rollupRetentionMs?: number; now?: () => number } = {}) {
	return {
		async insert(p: HistoryPoint) {
			const row = { hostId, ...p };
			await db.insert(hostHistory).values(row).onConflictDoUpdate({ target: [hostHistory.hostId, hostHistory.ts], set: p });
		},
		async pruneOlderThan(tsMs: number) {
			if (rollupRetentionMs !== undefined) {
				await rollupHistory(db, { hostId });
				await pruneRollups(db, { hostId, beforeMs: now() - rollupRetentionMs });
			}
			const res = await db.delete(hostHistory).where(and(eq(hostHistory.hostId, hostId), lt(hostHistory.ts, tsMs)));
			return res.rowsAffected;
		},
		async range({ fromMs, toMs }: { fromMs: number; toMs: number }): Promise<HistoryPoint[]> {
			const rows = await db
				.select()
				.from(hostHistory)
				.where(and(eq(hostHistory.hostId, hostId), gte(hostHistory.ts, fromMs), lte(hostHistory.ts, toMs)))
				.orderBy(asc(hostHistory.ts));
			return rows.map(({ hostId: _h, ...p }) => p);
		},
		/** Means per step, grouped by SQLite (history-buckets.ts): for long ranges. */
		buckets(range: { fromMs: number; toMs: number; stepMs: number }): Promise<Buckets> {
			return historyBuckets(db, { table: 'host_history', hostId, ...range });
		}
	};
}

export type SqliteHistoryStore = ReturnType<typeof createHistoryStore>;
