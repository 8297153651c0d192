// The timeline (issue 25 §1): one newest-first list of what changed on the VM, merged in SQL
// from the tables that already record it. Each source is one bounded range read on an indexed
// column (actions by ts, deploys and timeline_events by (host_id, ts), ollama_usage by
// (host_id, started_at) and (host_id, ended_at)), cut to the page size before the merge, so a
// page costs at most `limit + 1` rows per source whatever the range.
//
// Paging: entries are ordered by (ts, source, id) descending and the cursor is the last entry's
// triple. A later page asks for what is strictly below it, so rows inserted meanwhile (newer,
// or older ones like an unload recorded after the fact) never shift or repeat a page.
//
// Sources and kinds:
//   health   timeline_events, written with each score (health-changes.ts): a dimension's level
//            (OK / WARN / CRIT / unknown, as on the score card) differs from the previous score's
//   alert    actions 'alerts.send': raised, escalated, updated, recovered
//   watchdog actions 'watchdog.*' but OOM: restarts, quarantines, releases, mode, self-tests
//   oom      actions 'watchdog.oom': OOM kills seen in Docker's event stream
//   action   every other operator action (restart, cleanup run, model load/unload, mutes,
//            users, tokens); denied ones, logins (auth.*) and the daily/weekly/test messages
//            are left out: they change nothing on the VM
//   deploy   deploys: a new image per compose service
//   model    ollama_usage: loads and unloads seen by the Ollama poller
//   cleanup  timeline_events (decision 0029): cleanup runs, with bytes freed
//   cron     timeline_events: cron runs that failed or were missed
//   docker   timeline_events: container exits vmwarden did not cause, and Docker's restarts
import type { Db } from '../db';
import {
	TIMELINE_KINDS,
	type TimelineEntry,
	type TimelineKind,
	type TimelineSeverity
} from '$lib/timeline';

export { TIMELINE_KINDS };

export interface TimelineQuery {
	hostId: string;
	fromMs: number;
	toMs: number;
	kinds?: TimelineKind[];
	container?: string;
	/** compose project */
	stack?: string;
	severities?: TimelineSeverity[];
	/** the previous page's nextCursor */
	cursor?: string;
	/** 1–500, default 100 */
	limit?: number;
}

export interface TimelinePage {
	items: TimelineEntry[];
	nextCursor: string | null;
}

interface Cursor {
	ts: number;
	source: string;
	id: number;
}

const CURSOR_RE = /^(\d{1,15})~([a-z.]{1,32})~(\d{1,15})$/;

export function encodeCursor(c: Cursor): string {
	return `${c.ts}~${c.source}~${c.id}`;
}

/** The cursor's parts; throws on anything else (a hand-made or stale-format cursor). */
export function decodeCursor(text: string): Cursor {
	const m = CURSOR_RE.exec(text);
	if (!m) throw new Error(`not a timeline cursor: "${text.slice(0, 40)}"`);
	return { ts: Number(m[1]), source: m[2], id: Number(m[3]) };
}

/** One SELECT per source, each giving the same columns; `?` are bound by `args` in order. */
function sources(
	q: TimelineQuery
): { kinds: TimelineKind[]; sql: string; args: (string | number)[] }[] {
	const r = [q.hostId, q.fromMs, q.toMs];
	return [
		{
			kinds: ['alert', 'watchdog', 'oom', 'action'],
			sql: `SELECT ts, 'action' AS source, id,
					CASE WHEN action = 'watchdog.oom' THEN 'oom' WHEN action = 'alerts.send' THEN 'alert' WHEN action LIKE 'watchdog.%' THEN 'watchdog' ELSE 'action' END AS kind,
					CASE WHEN action IN ('watchdog.restart', 'watchdog.quarantine', 'watchdog.release', 'watchdog.oom', 'containers.restart', 'containers.stop', 'containers.start') THEN target END AS container,
					CASE WHEN instr(coalesce(json_extract(input, '$.key'), ''), '/') > 0 THEN substr(json_extract(input, '$.key'), 1, instr(json_extract(input, '$.key'), '/') - 1) END AS stack,
					CASE WHEN action = 'alerts.send' THEN coalesce(json_extract(input, '$.severity'), 'info')
						WHEN action IN ('watchdog.oom', 'watchdog.quarantine') OR outcome = 'error' THEN 'CRIT'
						WHEN action = 'watchdog.restart' THEN 'WARN' ELSE 'info' END AS severity,
					CASE WHEN action = 'alerts.send' THEN CASE json_extract(input, '$.kind') WHEN 'recover' THEN 'alert cleared: ' WHEN 'escalate' THEN 'alert escalated: ' WHEN 'update' THEN 'alert updated: ' ELSE 'alert raised: ' END || coalesce(target, '?')
						WHEN action = 'watchdog.oom' THEN 'OOM kill: ' || coalesce(target, '?')
						ELSE action || coalesce(' ' || target, '') END AS title,
					actor || ' · ' || outcome || coalesce(': ' || result, '') AS detail,
					CASE WHEN action = 'watchdog.oom' THEN '/resources' WHEN action LIKE 'watchdog.%' OR action LIKE 'containers.%' THEN '/containers' ELSE '/activity?action=' || action END AS href,
					NULL AS bytes
				FROM actions WHERE host_id = ? AND ts >= ? AND ts <= ? AND outcome <> 'denied' AND action NOT IN ('alerts.daily', 'digest.send', 'alerts.test') AND action NOT LIKE 'auth.%'`,
			args: r
		},
		{
			kinds: ['deploy'],
			sql: `SELECT ts, 'deploy' AS source, id, 'deploy' AS kind, container,
					CASE WHEN instr(key, '/') > 0 THEN substr(key, 1, instr(key, '/') - 1) END AS stack, 'info' AS severity,
					container || ' deployed ' || image AS title,
					coalesce(substr(previous_image_id, 1, 19), 'first seen') || ' → ' || substr(image_id, 1, 19) AS detail, '/trends?metric=memory' AS href, NULL AS bytes
				FROM deploys WHERE host_id = ? AND ts >= ? AND ts <= ?`,
			args: r
		},
		{
			kinds: ['health', 'cleanup', 'cron', 'docker'],
			sql: `SELECT ts, 'event' AS source, id, kind, container, stack, severity, title, detail,
					coalesce(href, CASE kind WHEN 'docker' THEN '/containers' ELSE '/maintenance' END) AS href, bytes
				FROM timeline_events WHERE host_id = ? AND ts >= ? AND ts <= ?`,
			args: r
		},
		{
			kinds: ['model'],
			sql: `SELECT started_at AS ts, 'model.load' AS source, id, 'model' AS kind, NULL AS container, NULL AS stack, 'info' AS severity,
					model || ' loaded' AS title, 'seen by the Ollama poller' AS detail, '/models?focus=memory' AS href, size_bytes AS bytes
				FROM ollama_usage WHERE host_id = ? AND started_at >= ? AND started_at <= ?`,
			args: r
		},
		{
			kinds: ['model'],
			sql: `SELECT ended_at AS ts, 'model.unload' AS source, id, 'model' AS kind, NULL AS container, NULL AS stack, 'info' AS severity,
					model || ' unloaded' AS title, 'seen by the Ollama poller' AS detail, '/models?focus=memory' AS href, size_bytes AS bytes
				FROM ollama_usage WHERE host_id = ? AND ended_at >= ? AND ended_at <= ?`,
			args: r
		}
	];
}

const GB = 1e9;

/** One page of the timeline, newest first. */
export async function listTimeline(db: Db, q: TimelineQuery): Promise<TimelinePage> {
	if (!(q.fromMs <= q.toMs))
		throw new Error(`the range ends before it starts (${q.fromMs} > ${q.toMs})`);
	const limit = Math.min(Math.max(q.limit ?? 100, 1), 500);
	const cursor = q.cursor === undefined ? null : decodeCursor(q.cursor);
	const wanted = q.kinds?.length ? new Set(q.kinds) : null;
	const parts: string[] = [];
	const args: (string | number)[] = [];
	for (const s of sources(q)) {
		if (wanted && !s.kinds.some((k) => wanted.has(k))) continue;
		const where: string[] = [];
		const wargs: (string | number)[] = [];
		if (wanted) {
			where.push(`kind IN (${[...wanted].map(() => '?').join(', ')})`);
			wargs.push(...wanted);
		}
		const and = (clause: string, ...args: (string | number)[]) => {
			where.push(clause);
			wargs.push(...args);
		};
		if (q.container !== undefined) and('container = ?', q.container);
		if (q.stack !== undefined) and('stack = ?', q.stack);
		if (q.severities?.length)
			and(`severity IN (${q.severities.map(() => '?').join(', ')})`, ...q.severities);
		if (cursor) and('(ts, source, id) < (?, ?, ?)', cursor.ts, cursor.source, cursor.id);
		// one source has one `source` value: ordering by (ts, id) lets its index give the order, so
		// the read stops after limit + 1 rows instead of sorting the whole range
		parts.push(
			`SELECT * FROM (SELECT * FROM (${s.sql}) ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts DESC, id DESC LIMIT ?)`
		);
		args.push(...s.args, ...wargs, limit + 1);
	}
	const res = parts.length
		? await db.$client.execute({
				sql: `${parts.join('\nUNION ALL\n')}\nORDER BY ts DESC, source DESC, id DESC LIMIT ?`,
				args: [...args, limit + 1]
			})
		: null;
	const rows = (res?.rows ?? []).map((r) => toEntry(r as unknown as Row));
	const items = rows.slice(0, limit);
	const last = items.at(-1);
	return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

/** A row of the merged read: an entry plus the size a model load carries. */
type Row = TimelineEntry & { bytes: number | null };

function toEntry(r: Row): TimelineEntry {
	const size =
		r.source.startsWith('model.') && r.bytes !== null
			? ` (${(Number(r.bytes) / GB).toFixed(1)} GB)`
			: '';
	return {
		ts: Number(r.ts),
		source: r.source,
		id: Number(r.id),
		kind: r.kind,
		container: r.container,
		stack: r.stack,
		severity: r.severity,
		title: `${r.title}${size}`,
		detail: r.detail,
		href: r.href
	};
}
