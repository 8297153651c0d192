// The /activity listing: the actions table (operator and watchdog actions), newest first,
// filtered and paged by id. Filters are exact matches, except `action` which also takes a
// prefix ending in a dot ('watchdog.' = every watchdog action).
import { and, desc, eq, lt, not, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db';
import { actions } from '../db/schema';
import type { ActionRow } from './actions';

export const ACTION_OUTCOMES = ['pending', 'ok', 'error', 'denied', 'unknown'] as const;

export interface ActivityQuery {
	hostId: string;
	limit?: number;
	/** id of the last row of the previous page */
	cursor?: number;
	action?: string;
	actor?: string;
	outcome?: (typeof ACTION_OUTCOMES)[number];
	target?: string;
}

/** A failed login, setup or password change: its target is what someone typed (people type passwords into the name field). */
const failedAuth = sql`(substr(${actions.action}, 1, 5) = 'auth.' and ${actions.outcome} <> 'ok')`;

/**
 * What a non-admin sees of the record (issue 21 item 11): no client addresses, and no target of a
 * failed auth.* event. The `target` filter cannot find those rows either (it would be an oracle).
 */
export function withoutPrivateFields(row: ActionRow): ActionRow {
	const failed = row.action.startsWith('auth.') && row.outcome !== 'ok';
	return { ...row, address: null, target: failed ? null : row.target };
}

export async function queryActions(
	db: Db,
	q: ActivityQuery,
	{ admin = true }: { admin?: boolean } = {}
): Promise<{ items: ActionRow[]; nextCursor: number | null }> {
	const limit = Math.min(Math.max(q.limit ?? 50, 1), 200);
	const conds: SQL[] = [eq(actions.hostId, q.hostId)];
	if (q.cursor !== undefined) conds.push(lt(actions.id, q.cursor));
	if (q.action)
		conds.push(
			q.action.endsWith('.')
				? sql`substr(${actions.action}, 1, ${q.action.length}) = ${q.action}`
				: eq(actions.action, q.action)
		);
	if (q.actor) conds.push(eq(actions.actor, q.actor));
	if (q.outcome) conds.push(eq(actions.outcome, q.outcome));
	if (q.target) conds.push(eq(actions.target, q.target));
	if (q.target && !admin) conds.push(not(failedAuth));
	const rows = await db
		.select()
		.from(actions)
		.where(and(...conds))
		.orderBy(desc(actions.id))
		.limit(limit + 1);
	const items = admin ? rows.slice(0, limit) : rows.slice(0, limit).map(withoutPrivateFields);
	return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : null };
}

/** Distinct values for the filter menus (small: actions and actors are few). */
export async function activityFacets(
	db: Db,
	hostId: string
): Promise<{ actions: string[]; actors: string[] }> {
	const a = await db
		.selectDistinct({ v: actions.action })
		.from(actions)
		.where(eq(actions.hostId, hostId))
		.orderBy(actions.action);
	const b = await db
		.selectDistinct({ v: actions.actor })
		.from(actions)
		.where(eq(actions.hostId, hostId))
		.orderBy(actions.actor);
	return { actions: a.map((r) => r.v), actors: b.map((r) => r.v) };
}
