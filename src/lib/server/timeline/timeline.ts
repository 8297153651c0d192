// The timeline (issue 25 §1): one newest-first list of what changed on the VM, merged in SQL
// from the tables that already record it. Each source is one read down an index that gives its
// order (actions by (ts, id), deploys and timeline_events by (host_id, ts, id), ollama_usage by
// (host_id, started_at, id) and (host_id, ended_at, id)), cut to `limit + 1` rows before the
// merge, so a page reads at most `limit + 1` rows per source whatever the range and the depth.
//
// Paging: entries are ordered by (ts, source, id) descending and the cursor is the last entry's
// triple. A later page asks for what is strictly below it, so rows inserted meanwhile (newer,
// or older ones like an unload recorded after the fact) never shift or repeat a page. Each
// source seeks its index to the cursor (seekBelow): the cursor as a filter over the range read
// from its newest end made a page 200 pages into a busy week take ~10× the SQLite steps of the
// first (bench/timeline.ts).
//
// The strip chart's counts (countTimeline) read the same sources with the same filters, grouped
// per kind and slice of the range in SQL.
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
import { actionInputField } from '../db/schema';
import {
	TIMELINE_KINDS,
	type TimelineCounts,
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

/**
 * One source of the merged read: the table, the column its time is in, the rows it never lists,
 * and the SQL expression of each entry column. Filters and the cursor are written against the
 * table's own columns and these expressions, for the list and the counts alike.
 */
interface Source {
	/** the entry's `source`; with the table's id, unique */
	source: string;
	kinds: TimelineKind[];
	table: string;
	/** its time column; the index the read walks is on it (after host_id, when the index has it) */
	ts: string;
	/** rows it never lists, beside the host and the range */
	where?: string;
	cols: Record<
		'kind' | 'container' | 'stack' | 'severity' | 'title' | 'detail' | 'href' | 'bytes',
		string
	>;
}

const stackOf = (key: string) =>
	`CASE WHEN instr(coalesce(${key}, ''), '/') > 0 THEN substr(${key}, 1, instr(${key}, '/') - 1) END`;

const SOURCES: Source[] = [
	{
		source: 'action',
		kinds: ['alert', 'watchdog', 'oom', 'action'],
		table: 'actions',
		ts: 'ts',
		where: `outcome <> 'denied' AND action NOT IN ('alerts.daily', 'digest.send', 'alerts.test') AND action NOT LIKE 'auth.%'`,
		cols: {
			kind: `CASE WHEN action = 'watchdog.oom' THEN 'oom' WHEN action = 'alerts.send' THEN 'alert' WHEN action LIKE 'watchdog.%' THEN 'watchdog' ELSE 'action' END`,
			container: `CASE WHEN action IN ('watchdog.restart', 'watchdog.quarantine', 'watchdog.release', 'watchdog.oom', 'containers.restart', 'containers.stop', 'containers.start') THEN target END`,
			stack: stackOf(actionInputField('$.key')),
			severity: `CASE WHEN action = 'alerts.send' THEN coalesce(${actionInputField('$.severity')}, 'info')
				WHEN action IN ('watchdog.oom', 'watchdog.quarantine') OR outcome = 'error' THEN 'CRIT'
				WHEN action = 'watchdog.restart' THEN 'WARN' ELSE 'info' END`,
			title: `CASE WHEN action = 'alerts.send' THEN CASE ${actionInputField('$.kind')} WHEN 'recover' THEN 'alert cleared: ' WHEN 'escalate' THEN 'alert escalated: ' WHEN 'update' THEN 'alert updated: ' ELSE 'alert raised: ' END || coalesce(target, '?')
				WHEN action = 'watchdog.oom' THEN 'OOM kill: ' || coalesce(target, '?')
				ELSE action || coalesce(' ' || target, '') END`,
			detail: `actor || ' · ' || outcome || coalesce(': ' || result, '')`,
			href: `CASE WHEN action = 'watchdog.oom' THEN '/resources' WHEN action LIKE 'watchdog.%' OR action LIKE 'containers.%' THEN '/containers' ELSE '/activity?action=' || action END`,
			bytes: 'NULL'
		}
	},
	{
		source: 'deploy',
		kinds: ['deploy'],
		table: 'deploys',
		ts: 'ts',
		cols: {
			kind: `'deploy'`,
			container: 'container',
			stack: stackOf('key'),
			severity: `'info'`,
			title: `container || ' deployed ' || image`,
			detail: `coalesce(substr(previous_image_id, 1, 19), 'first seen') || ' → ' || substr(image_id, 1, 19)`,
			href: `'/trends?metric=memory'`,
			bytes: 'NULL'
		}
	},
	{
		source: 'event',
		kinds: ['health', 'cleanup', 'cron', 'docker'],
		table: 'timeline_events',
		ts: 'ts',
		cols: {
			kind: 'kind',
			container: 'container',
			stack: 'stack',
			severity: 'severity',
			title: 'title',
			detail: 'detail',
			href: `coalesce(href, CASE kind WHEN 'docker' THEN '/containers' ELSE '/maintenance' END)`,
			bytes: 'bytes'
		}
	},
	...(['load', 'unload'] as const).map((what): Source => ({
		source: `model.${what}`,
		kinds: ['model'],
		table: 'ollama_usage',
		ts: what === 'load' ? 'started_at' : 'ended_at',
		cols: {
			kind: `'model'`,
			container: 'NULL',
			stack: 'NULL',
			severity: `'info'`,
			title: `model || ' ${what}ed'`,
			detail: `'seen by the Ollama poller'`,
			href: `'/models?focus=memory'`,
			bytes: 'size_bytes'
		}
	}))
];

type Range = Pick<TimelineQuery, 'hostId' | 'fromMs' | 'toMs'>;
type Filters = Pick<TimelineQuery, 'kinds' | 'container' | 'stack' | 'severities'>;

/**
 * The WHERE of one source's read, with its arguments: its host, the range, below the cursor when
 * there is one, and the filters. Null when the kinds filter leaves the source out.
 */
function sourceWhere(
	s: Source,
	q: Range & Filters,
	cursor: Cursor | null
): { where: string; args: (string | number)[] } | null {
	const wanted = q.kinds?.length ? q.kinds : null;
	if (wanted && !s.kinds.some((k) => wanted.includes(k))) return null;
	const where: string[] = [];
	const args: (string | number)[] = [];
	const and = (clause: string, ...more: (string | number)[]) => {
		where.push(clause);
		args.push(...more);
	};
	const below = cursor && seekBelow(s.source, cursor);
	// one upper bound on the time column, the lower of the range's end and the cursor's: given
	// two, SQLite seeks the index with one and filters with the other, and a page read from the
	// range's end down to the cursor costs more the deeper it is
	and(
		`host_id = ? AND ${s.ts} >= ? AND ${s.ts} <= ?`,
		q.hostId,
		q.fromMs,
		below ? Math.min(q.toMs, below.upTo) : q.toMs
	);
	if (below) and(`(${s.ts} < ? OR id < ?)`, below.upTo, below.belowId);
	if (s.where) and(s.where);
	const some = (n: number) => Array.from({ length: n }, () => '?').join(', ');
	if (wanted && s.kinds.some((k) => !wanted.includes(k)))
		and(`(${s.cols.kind}) IN (${some(wanted.length)})`, ...wanted);
	if (q.container !== undefined) and(`(${s.cols.container}) = ?`, q.container);
	if (q.stack !== undefined) and(`(${s.cols.stack}) = ?`, q.stack);
	if (q.severities?.length)
		and(`(${s.cols.severity}) IN (${some(q.severities.length)})`, ...q.severities);
	return { where: where.join(' AND '), args };
}

/**
 * Where one source's rows continue below the cursor, as a seek on its time index: entries are
 * ordered by (ts, source, id), so at the cursor's ts a source named below the cursor's continues
 * with every row, one named above it with none, and the cursor's own source below its id. Always
 * `ts <= upTo AND (ts < upTo OR id < belowId)`: the first part bounds the index walk, the second
 * only decides the rows at exactly `upTo`.
 */
export function seekBelow(source: string, c: Cursor): { upTo: number; belowId: number } {
	if (source < c.source) return { upTo: c.ts, belowId: Number.MAX_SAFE_INTEGER };
	if (source > c.source) return { upTo: c.ts, belowId: 0 };
	return { upTo: c.ts, belowId: c.id };
}

const GB = 1e9;

/** One page of the timeline, newest first. */
export async function listTimeline(db: Db, q: TimelineQuery): Promise<TimelinePage> {
	if (!(q.fromMs <= q.toMs))
		throw new Error(`the range ends before it starts (${q.fromMs} > ${q.toMs})`);
	const limit = Math.min(Math.max(q.limit ?? 100, 1), 500);
	const cursor = q.cursor === undefined ? null : decodeCursor(q.cursor);
	const parts: string[] = [];
	const args: (string | number)[] = [];
	for (const s of SOURCES) {
		const w = sourceWhere(s, q, cursor);
		if (!w) continue;
		const c = s.cols;
		// newest first by (ts, id), the order of the source's index: the read stops after limit + 1
		parts.push(
			`SELECT * FROM (SELECT ${s.ts} AS ts, '${s.source}' AS source, id, ${c.kind} AS kind, ${c.container} AS container, ${c.stack} AS stack, ${c.severity} AS severity, ${c.title} AS title, ${c.detail} AS detail, ${c.href} AS href, ${c.bytes} AS bytes
				FROM ${s.table} WHERE ${w.where} ORDER BY ${s.ts} DESC, id DESC LIMIT ?)`
		);
		args.push(...w.args, limit + 1);
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

export interface TimelineCountsQuery extends Range, Filters {
	/** how many equal slices of the range, 1–500 (default 100) */
	buckets?: number;
}

/** info < OK < WARN < CRIT: a slice is drawn in its worst entry's colour */
const SEVERITY_ORDER = ['info', 'OK', 'WARN', 'CRIT'] as const satisfies TimelineSeverity[];

/**
 * How many entries of each kind fall in each slice of the range, with the same filters as the
 * list: what the /timeline strip chart draws. Counted in SQL (one GROUP BY per source, summed),
 * so the page never reads a week's rows to draw them.
 */
export async function countTimeline(db: Db, q: TimelineCountsQuery): Promise<TimelineCounts> {
	if (!(q.fromMs <= q.toMs))
		throw new Error(`the range ends before it starts (${q.fromMs} > ${q.toMs})`);
	const buckets = Math.min(Math.max(Math.floor(q.buckets ?? 100), 1), 500);
	// the range's last ms falls in the last slice
	const bucketMs = Math.ceil((q.toMs - q.fromMs + 1) / buckets);
	const parts: string[] = [];
	const args: (string | number)[] = [];
	for (const s of SOURCES) {
		const w = sourceWhere(s, q, null);
		if (!w) continue;
		// grouped by severity too, and ranked only once grouped: a rank per row cost a fifth of the read
		parts.push(
			`SELECT ${s.cols.kind} AS kind, CAST((${s.ts} - ?) / ? AS INTEGER) AS bucket, ${s.cols.severity} AS severity, count(*) AS n
				FROM ${s.table} WHERE ${w.where} GROUP BY 1, 2, 3`
		);
		args.push(q.fromMs, bucketMs, ...w.args);
	}
	const rank = `CASE severity ${SEVERITY_ORDER.map((v, i) => `WHEN '${v}' THEN ${i}`).join(' ')} ELSE 0 END`;
	const res = parts.length
		? await db.$client.execute({
				sql: `SELECT kind, bucket, sum(n) AS n, max(${rank}) AS rank FROM (${parts.join('\nUNION ALL\n')})
					GROUP BY kind, bucket ORDER BY kind, bucket`,
				args
			})
		: null;
	const cells = (res?.rows ?? []).map((r) => ({
		kind: r.kind as TimelineKind,
		bucket: Number(r.bucket),
		count: Number(r.n),
		severity: SEVERITY_ORDER[Number(r.rank)] ?? 'info'
	}));
	return { fromMs: q.fromMs, toMs: q.toMs, bucketMs, cells };
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
