// Health changes for the timeline, stored when the score is (decision 0029): a dimension whose
// level (the score card's: full marks OK, at least half WARN, else CRIT, null unknown) differs
// from the previous stored score's becomes a timeline_events row of kind 'health'. The timeline
// then reads a few rows a day from an index instead of comparing the week's ~2,000 scores on
// every page (that comparison was most of timeline.list's cost: bench/timeline.ts).
import { and, asc, desc, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../db';
import { scoreHistory, timelineEvents } from '../db/schema';
import { DIMENSION_IDS, DIMENSION_TITLES, DRILL_DOWN, type DimensionId } from '$lib/score';
import type { TimelineSeverity } from '$lib/timeline';
import { recordEvents, type TimelineEventRow } from './events';

type ScoreRow = typeof scoreHistory.$inferSelect;
type Level = 'unknown' | 'OK' | 'WARN' | 'CRIT';

// the score card's levels (ScoreCard.svelte)
const MAX: Record<DimensionId, number> = {
	cpu: 20,
	memory: 20,
	disk: 15,
	services: 20,
	maintenance: 15,
	llm: 10
};
const levelOf = (points: number | null, max: number): Level =>
	points === null ? 'unknown' : points >= max ? 'OK' : points * 2 >= max ? 'WARN' : 'CRIT';

/**
 * The rows for the dimensions whose level changed from `prev` to `cur`, in dimension order (so a
 * newest-first read by id lists the last dimension first, as the timeline always has).
 */
export function healthChangeRows(
	prev: Pick<ScoreRow, DimensionId>,
	cur: Pick<ScoreRow, DimensionId | 'hostId' | 'ts'>
): TimelineEventRow[] {
	const out: TimelineEventRow[] = [];
	for (const id of DIMENSION_IDS) {
		const [now, was] = [levelOf(cur[id], MAX[id]), levelOf(prev[id], MAX[id])];
		if (now === was) continue;
		const severity: TimelineSeverity = now === 'unknown' ? 'info' : now;
		out.push({
			hostId: cur.hostId,
			ts: cur.ts,
			kind: 'health',
			ref: `${id}@${cur.ts}`,
			container: null,
			stack: null,
			severity,
			title: `${DIMENSION_TITLES[id]} ${was} → ${now}`,
			detail: `score ${cur[id] ?? '?'}/${MAX[id]} (was ${prev[id] ?? '?'})`,
			href: DRILL_DOWN[id],
			bytes: null
		});
	}
	return out;
}

/** After a score is stored: its changes against the score stored before it. */
export async function recordHealthChanges(db: Db, cur: ScoreRow): Promise<number> {
	const [prev] = await db
		.select()
		.from(scoreHistory)
		.where(and(eq(scoreHistory.hostId, cur.hostId), lt(scoreHistory.ts, cur.ts)))
		.orderBy(desc(scoreHistory.ts))
		.limit(1);
	return prev ? recordEvents(db, healthChangeRows(prev, cur)) : 0;
}

/**
 * The changes in the scores stored before this table existed (or by a copy of the database
 * without it): when a host has scores and no health row yet, compare them all once. Re-running
 * it writes nothing new (rows are keyed by dimension and time).
 */
export async function backfillHealthChanges(db: Db, hostId: string): Promise<number> {
	const [has] = await db
		.select({ n: sql<number>`count(*)` })
		.from(timelineEvents)
		.where(and(eq(timelineEvents.hostId, hostId), eq(timelineEvents.kind, 'health')));
	if (has && has.n > 0) return 0;
	const rows = await db
		.select()
		.from(scoreHistory)
		.where(eq(scoreHistory.hostId, hostId))
		.orderBy(asc(scoreHistory.ts));
	const changes = rows.slice(1).flatMap((cur, i) => healthChangeRows(rows[i], cur));
	return recordEvents(db, changes);
}
