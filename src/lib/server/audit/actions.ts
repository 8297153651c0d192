// The action record (DESIGN decision 7): intent before acting, outcome after. Every operator
// mutation and every watchdog action goes through `recordAction`, so nothing acknowledged is lost.
import { AsyncLocalStorage } from 'node:async_hooks';
import { and, desc, eq, lt, ne } from 'drizzle-orm';
import type { Db } from '../db';
import { actions } from '../db/schema';
import type { Principal } from '../auth/auth';
import { scrubUrls } from '../net/url-secrets';

export type ActionOutcome = 'ok' | 'error' | 'denied';
export type ActionRow = typeof actions.$inferSelect;

export interface ActionIntent {
	hostId: string;
	/** 'watchdog', or the principal's description (see `actorOf`) */
	actor: string;
	address?: string | null;
	action: string;
	target?: string | null;
	/** summarised as JSON, capped at 500 characters; pass no secrets */
	input?: unknown;
}

/** Marks, per request, that the procedure wrote an audit row of its own (recordIntent / recordEvent), and the host it was for. */
const written = new AsyncLocalStorage<{ wrote: boolean; hostId?: string }>();

/**
 * Runs one mutation, telling whether it wrote an audit row of its own (init.ts records a refusal
 * when it did not), and the registry host it was for, when it named one (auditHostIs).
 */
export async function trackAuditWrites<T>(
	run: () => Promise<T>
): Promise<{ value: T; wrote: boolean; hostId?: string }> {
	const store: { wrote: boolean; hostId?: string } = { wrote: false };
	const value = await written.run(store, run);
	return { value, wrote: store.wrote, hostId: store.hostId };
}

/** The mutation running now is for this host (a bare Docker host of the hub): its refusal row names it. */
export function auditHostIs(hostId: string): void {
	const store = written.getStore();
	if (store) store.hostId = hostId;
}

function markAuditWritten(): void {
	const store = written.getStore();
	if (store) store.wrote = true;
}

const MAX_INPUT_CHARS = 500;
const MAX_RESULT_CHARS = 1000;

/** A stable, secret-free name for who acted. */
export function actorOf(principal: Principal | null): string {
	if (!principal) return 'anonymous';
	// A logged-in user is named: 'session:operator:alice' (no user: 'token:viewer', 'auth-off:admin').
	if (principal.userName) return `${principal.via}:${principal.role}:${principal.userName}`;
	// a hub's token names the hub user too: 'token:operator:#3 for session:operator:alice@hub'
	if (principal.tokenId !== undefined)
		return `${principal.via}:${principal.role}:#${principal.tokenId}${principal.onBehalfOf ? ` for ${principal.onBehalfOf}` : ''}`;
	return `${principal.via}:${principal.role}`;
}

/**
 * A hub's request (header x-vmwarden-on-behalf-of) names the hub user it acts for; recorded only
 * when the principal is a managed `hub`-scope token (made for a hub to hold; an ordinary operate
 * token is a script's, and its header would let it write any name into the audit record),
 * sanitized, bounded, and after the token id in the actor. Anything else keeps the principal as
 * it is: the header grants nothing.
 */
export function withOnBehalfOf(
	principal: Principal | null,
	header: string | null
): Principal | null {
	if (
		!principal ||
		header === null ||
		principal.via !== 'token' ||
		principal.tokenId === undefined ||
		principal.role !== 'operator' ||
		principal.hub !== true
	)
		return principal;
	const who = header.replace(/[^A-Za-z0-9._:@#+-]/g, '_').slice(0, 120);
	return who ? { ...principal, onBehalfOf: who } : principal;
}

function summarise(input: unknown): string | null {
	if (input === undefined) return null;
	const text = JSON.stringify(input) ?? null;
	return text && text.length > MAX_INPUT_CHARS ? text.slice(0, MAX_INPUT_CHARS - 1) + '…' : text;
}

/** The columns an intent fills, for an intent row and for a one-row event alike. */
const intentColumns = (intent: ActionIntent, now: number) => ({
	hostId: intent.hostId,
	ts: now,
	actor: intent.actor,
	address: intent.address ?? null,
	action: intent.action,
	target: intent.target ?? null,
	input: summarise(intent.input)
});

const clip = (s: string) =>
	s.length > MAX_RESULT_CHARS ? s.slice(0, MAX_RESULT_CHARS - 1) + '…' : s;

/** Writes the intent row and returns its id. */
export async function recordIntent(
	db: Db,
	intent: ActionIntent,
	now = Date.now()
): Promise<number> {
	markAuditWritten();
	const [row] = await db
		.insert(actions)
		.values({ ...intentColumns(intent, now), outcome: 'pending' })
		.returning({ id: actions.id });
	return row.id;
}

export async function recordOutcome(
	db: Db,
	id: number,
	outcome: ActionOutcome,
	result?: string | null,
	now = Date.now()
) {
	await db
		.update(actions)
		.set({ outcome, result: result == null ? null : clip(result), endedAt: now })
		.where(eq(actions.id, id));
}

/**
 * Intent, run, outcome. `describe` turns the value into the stored result text; a throw is
 * stored as `error` with its message and rethrown.
 */
export async function recordAction<T>(
	db: Db,
	intent: ActionIntent,
	run: () => Promise<T>,
	describe: (value: T) => string = () => 'done'
): Promise<T> {
	const id = await recordIntent(db, intent);
	try {
		const value = await run();
		await recordOutcome(db, id, 'ok', describe(value));
		return value;
	} catch (err) {
		// an error can quote a URL with its credentials, path and query: the record keeps the host only
		await recordOutcome(
			db,
			id,
			'error',
			scrubUrls(err instanceof Error ? err.message : String(err))
		);
		throw err;
	}
}

/** At start-up: intents left `pending` by a process that died mid-action become `unknown`. */
export async function markInterruptedActions(db: Db, startedAt = Date.now()): Promise<number> {
	const rows = await db
		.update(actions)
		.set({
			outcome: 'unknown',
			result: 'the server stopped before this action finished',
			endedAt: startedAt
		})
		.where(and(eq(actions.outcome, 'pending'), lt(actions.ts, startedAt)))
		.returning({ id: actions.id });
	return rows.length;
}

/** Newest first, paged by id. */
export async function listActions(
	db: Db,
	{ limit = 50, beforeId, action }: { limit?: number; beforeId?: number; action?: string } = {}
): Promise<ActionRow[]> {
	const conds = [
		beforeId !== undefined ? lt(actions.id, beforeId) : undefined,
		action ? eq(actions.action, action) : undefined
	].filter((c) => c !== undefined);
	return db
		.select()
		.from(actions)
		.where(conds.length ? and(...conds) : undefined)
		.orderBy(desc(actions.id))
		.limit(limit);
}

/**
 * One finished event (intent and outcome in one row): logins, setup, refusals. Not for
 * actions that change the host — those go through `recordAction` (intent first).
 */
export async function recordEvent(
	db: Db,
	intent: ActionIntent,
	outcome: ActionOutcome,
	result?: string | null,
	now = Date.now()
): Promise<number> {
	markAuditWritten();
	const [row] = await db
		.insert(actions)
		.values({
			...intentColumns(intent, now),
			outcome,
			result: result == null ? null : clip(result),
			endedAt: now
		})
		.returning({ id: actions.id });
	return row.id;
}

/** The hourly pass (VMW_AUDIT_RETENTION_DAYS): rows older than `beforeMs` go; a pending intent stays. */
export async function pruneActions(db: Db, beforeMs: number): Promise<number> {
	const res = await db
		.delete(actions)
		.where(and(lt(actions.ts, beforeMs), ne(actions.outcome, 'pending')));
	return res.rowsAffected;
}

const CSV_COLUMNS = [
	'id',
	'time',
	'hostId',
	'actor',
	'address',
	'action',
	'target',
	'input',
	'outcome',
	'result',
	'endedAt'
] as const;

/** One CSV cell: quoted, and a leading = + - @ defused so a spreadsheet never runs it as a formula. */
function csvCell(value: unknown): string {
	let s = value == null ? '' : String(value);
	if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
	return `"${s.replace(/"/g, '""')}"`;
}

/** The audit record as CSV (RFC 4180, UTC ISO times), oldest first. */
export function actionsToCsv(rows: ActionRow[]): string {
	const lines = [CSV_COLUMNS.join(',')];
	for (const r of [...rows].sort((a, b) => a.id - b.id)) {
		lines.push(
			[
				r.id,
				new Date(r.ts).toISOString(),
				r.hostId,
				r.actor,
				r.address,
				r.action,
				r.target,
				r.input,
				r.outcome,
				r.result,
				r.endedAt == null ? null : new Date(r.endedAt).toISOString()
			]
				.map(csvCell)
				.join(',')
		);
	}
	return lines.join('\r\n') + '\r\n';
}
