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
// The strip chart's counts (countTimeline) read the same sources with the same filters, each kind
// down an index that starts with it (actions_timeline_idx, timeline_events_kind_idx): a busy kind
// slice by slice, a seek each, a sparse one grouped. No read sorts a busy kind's entries.
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
	ACTION_TIMELINE_KIND,
	ACTION_TIMELINE_SEVERITY,
	actionInputField,
	timelineEvents
} from '../db/schema';
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
		// the kind and severity are the index's expressions (db/schema.ts), word for word; `kinds`
		// is every kind the expression gives. The kind is NULL for the rows the timeline leaves out
		// (denied ones, logins, the daily/weekly/test messages)
		where: `(${ACTION_TIMELINE_KIND}) IS NOT NULL`,
		cols: {
			kind: ACTION_TIMELINE_KIND,
			container: `CASE WHEN action IN ('watchdog.restart', 'watchdog.quarantine', 'watchdog.release', 'watchdog.oom', 'containers.restart', 'containers.stop', 'containers.start') THEN target END`,
			stack: stackOf(actionInputField('$.key')),
			severity: ACTION_TIMELINE_SEVERITY,
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
		// every kind the table holds (its enum): the counts read kind by kind
		kinds: [...timelineEvents.kind.enumValues],
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
type Clause = { where: string; args: (string | number)[] };

/**
 * The WHERE of one source's read, with its arguments: `seek`, the part that bounds the index walk
 * (the host, the time column, the kind), then the rows it never lists and the filters. The list
 * and the counts filter alike through it. Null when the kinds filter leaves the source out.
 */
function sourceWhere(s: Source, q: Filters, seek: Clause): Clause | null {
	const wanted = q.kinds?.length ? q.kinds : null;
	if (wanted && !s.kinds.some((k) => wanted.includes(k))) return null;
	const where = [seek.where];
	const args = [...seek.args];
	const and = (clause: string, ...more: (string | number)[]) => {
		where.push(clause);
		args.push(...more);
	};
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

/** A page's walk down one source's (host_id, time) index: the range, and below the cursor if any. */
function listSeek(s: Source, q: Range, cursor: Cursor | null): Clause {
	const below = cursor && seekBelow(s.source, cursor);
	// one upper bound on the time column, the lower of the range's end and the cursor's: given
	// two, SQLite seeks the index with one and filters with the other, and a page read from the
	// range's end down to the cursor costs more the deeper it is
	const where = `host_id = ? AND ${s.ts} >= ? AND ${s.ts} <= ?`;
	const args = [q.hostId, q.fromMs, below ? Math.min(q.toMs, below.upTo) : q.toMs];
	if (!below) return { where, args };
	return {
		where: `${where} AND (${s.ts} < ? OR id < ?)`,
		args: [...args, below.upTo, below.belowId]
	};
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
		const w = sourceWhere(s, q, listSeek(s, q, cursor));
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
 * A kind with at least this many entries a slice (on average over the range) is counted slice by
 * slice, a seek each; one with fewer is grouped, a sort of its entries. The two cost about the same
 * at 1–16 a slice (bench/timeline.ts: ~2 µs a slice, ~0.3 µs an entry sorted).
 */
const DENSE_PER_SLICE = 4;

/** One kind of one source: the strip counts read each down the index that starts with it. */
interface Arm {
	s: Source;
	kind: TimelineKind;
}

/** An arm's walk down its index: the host, the kind (a source of several), then `time`. */
function armSeek({ s, kind }: Arm, hostId: string, time: Clause): Clause {
	return s.kinds.length > 1
		? {
				where: `host_id = ? AND (${s.cols.kind}) = ? AND ${time.where}`,
				args: [hostId, kind, ...time.args]
			}
		: { where: `host_id = ? AND ${time.where}`, args: [hostId, ...time.args] };
}

/**
 * How many entries of each kind fall in each slice of the range, with the same filters as the
 * list: what the /timeline strip chart draws. Each kind is read down an index that starts with
 * (host_id, kind) and holds the time column and the severity (actions_timeline_idx,
 * timeline_events_kind_idx; a source of one kind, its (host_id, time) index), so no entry is read
 * from its table unless a container or stack filter needs it. A busy kind is counted slice by slice,
 * a seek and a walk each; a sparse one grouped. Grouping every kind of the range sorted every entry
 * of it (decision 0034).
 */
export async function countTimeline(db: Db, q: TimelineCountsQuery): Promise<TimelineCounts> {
	if (!(q.fromMs <= q.toMs))
		throw new Error(`the range ends before it starts (${q.fromMs} > ${q.toMs})`);
	const buckets = Math.min(Math.max(Math.floor(q.buckets ?? 100), 1), 500);
	// the range's last ms falls in the last slice
	const bucketMs = Math.ceil((q.toMs - q.fromMs + 1) / buckets);
	const end = q.toMs + 1;
	const dense = Math.ceil((end - q.fromMs) / bucketMs) * DENSE_PER_SLICE;
	const arms: Arm[] = SOURCES.flatMap((s) =>
		s.kinds.filter((k) => !q.kinds?.length || q.kinds.includes(k)).map((kind) => ({ s, kind }))
	);
	const inRange = (s: Source): Clause => ({
		where: `${s.ts} >= ? AND ${s.ts} <= ?`,
		args: [q.fromMs, q.toMs]
	});
	// how many entries each kind has in the range, up to `dense`: without the filters, which only
	// decide how it is counted
	const probes = arms.map((a) => armSeek(a, q.hostId, inRange(a.s)));
	const probed = arms.length
		? (
				await db.$client.execute({
					sql: `SELECT ${probes.map((p, i) => `(SELECT count(*) FROM (SELECT 1 FROM ${arms[i].s.table} WHERE ${p.where} LIMIT ${dense})) AS n${i}`).join(', ')}`,
					args: probes.flatMap((p) => p.args)
				})
			).rows[0]
		: undefined;
	const rank = (severity: string) =>
		`CASE (${severity}) ${SEVERITY_ORDER.map((v, i) => `WHEN '${v}' THEN ${i}`).join(' ')} ELSE 0 END`;
	// a cell's count and its worst rank (0–3) in one value, count × 4 + rank: one walk gives both
	const packed = (s: Source) => `count(*) * 4 + coalesce(max(${rank(s.cols.severity)}), 0)`;
	// the arm is the kind: the kinds filter is applied
	const filters = { ...q, kinds: undefined };
	const parts: string[] = [];
	const args: (string | number)[] = [];
	arms.forEach((a, i) => {
		const seen = Number(probed?.[`n${i}`] ?? 0);
		if (seen === 0) return;
		const { s, kind } = a;
		if (seen >= dense) {
			const w = sourceWhere(
				s,
				filters,
				armSeek(a, q.hostId, { where: `${s.ts} >= slice.lo AND ${s.ts} < slice.hi`, args: [] })
			)!;
			parts.push(
				`SELECT ? AS kind, i AS bucket, (SELECT ${packed(s)} FROM ${s.table} WHERE ${w.where}) AS packed FROM slice`
			);
			args.push(kind, ...w.args);
		} else {
			const w = sourceWhere(s, filters, armSeek(a, q.hostId, inRange(s)))!;
			parts.push(
				`SELECT ? AS kind, CAST((${s.ts} - ?) / ? AS INTEGER) AS bucket, ${packed(s)} AS packed FROM ${s.table} WHERE ${w.where} GROUP BY 2`
			);
			args.push(kind, q.fromMs, bucketMs, ...w.args);
		}
	});
	// Slice i is [lo, hi): fromMs + i × bucketMs to the next, the last one cut at the range's end.
	// The cells are materialized (flattened into the outer query, a lone arm would count again for
	// each use of `packed`) and come back as one JSON array: the client spends ~3 µs on each row it
	// returns, about what counting a busy slice costs.
	const res = parts.length
		? await db.$client.execute({
				sql: `WITH RECURSIVE slice(i, lo, hi) AS (SELECT 0, ?, min(? + ?, ?) UNION ALL SELECT i + 1, hi, min(hi + ?, ?) FROM slice WHERE hi < ?),
					cell AS MATERIALIZED (${parts.join('\nUNION ALL\n')})
					SELECT json_group_array(json_array(kind, bucket, n, rank)) AS cells FROM (
						SELECT kind, bucket, sum(packed >> 2) AS n, max(packed & 3) AS rank FROM cell GROUP BY kind, bucket HAVING n > 0)`,
				args: [q.fromMs, q.fromMs, bucketMs, end, bucketMs, end, end, ...args]
			})
		: undefined;
	const rows = JSON.parse(String(res?.rows[0]?.cells ?? '[]')) as [
		TimelineKind,
		number,
		number,
		number
	][];
	const cells = rows
		.map(([kind, bucket, count, r]) => ({
			kind,
			bucket,
			count,
			severity: SEVERITY_ORDER[r] ?? 'info'
		}))
		.sort((a, b) => (a.kind === b.kind ? a.bucket - b.bucket : a.kind < b.kind ? -1 : 1));
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
