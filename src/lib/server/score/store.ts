// score_history: the score and each dimension every VMW_SCORE_INTERVAL_S (the 7-day sparkline).
// Each stored score also records its dimensions' level changes for the timeline (decision 0029).
import { and, asc, eq, gte, lt, lte } from 'drizzle-orm';
import type { Db } from '../db';
import { scoreHistory } from '../db/schema';
import { DIMENSION_IDS, type ScoreHistoryPoint, type VmScore } from '$lib/score';
import { backfillHealthChanges, recordHealthChanges } from '../timeline/health-changes';

export function createScoreStore(db: Db, hostId: string) {
	let backfilled = false;
	return {
		async insert(score: VmScore): Promise<void> {
			const dims = Object.fromEntries(
				DIMENSION_IDS.map((id) => [id, score.dimensions.find((d) => d.id === id)?.points ?? null])
			);
			const row = {
				hostId,
				ts: score.at,
				total: score.total,
				...dims
			} as typeof scoreHistory.$inferSelect;
			// the scores stored before the timeline kept health changes: compared once, before the first new one
			if (!backfilled) backfilled = (await backfillHealthChanges(db, hostId), true);
			await db
				.insert(scoreHistory)
				.values(row)
				.onConflictDoUpdate({ target: [scoreHistory.hostId, scoreHistory.ts], set: row });
			await recordHealthChanges(db, row);
		},
		async range({ fromMs, toMs }: { fromMs: number; toMs: number }): Promise<ScoreHistoryPoint[]> {
			const rows = await db
				.select()
				.from(scoreHistory)
				.where(
					and(
						eq(scoreHistory.hostId, hostId),
						gte(scoreHistory.ts, fromMs),
						lte(scoreHistory.ts, toMs)
					)
				)
				.orderBy(asc(scoreHistory.ts));
			return rows.map((r) => ({
				ts: r.ts,
				total: r.total,
				dimensions: Object.fromEntries(DIMENSION_IDS.map((id) => [id, r[id]]))
			}));
		},
		async pruneOlderThan(tsMs: number): Promise<number> {
			const res = await db
				.delete(scoreHistory)
				.where(and(eq(scoreHistory.hostId, hostId), lt(scoreHistory.ts, tsMs)));
			return res.rowsAffected;
		}
	};
}

export type ScoreStore = ReturnType<typeof createScoreStore>;
