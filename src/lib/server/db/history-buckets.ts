// Stored host history read as step-aligned means, computed by SQLite (issue 21, decision 0020):
// a week of 1-minute points is 10,080 rows; building each point in JavaScript and then bucketing
// it held the event loop for over a second. Here SQLite groups the rows, a few hundred rows per
// statement with a turn of the event loop between statements, and only the buckets reach JavaScript.
// createHistoryBuckets keeps the buckets that can no longer change (settled-buckets.ts).
import type { HistoryPoint } from '$lib/health';
import type { Db } from './index';
import {
	createInterner,
	createSettledBuckets,
	type BucketRange,
	type SettledBuckets
} from './settled-buckets';

export type HistoryTable = 'host_history' | 'host_history_rollup';

/** Rows grouped per statement (6 hours of minutes): about a millisecond of SQLite's time each. */
const CHUNK_ROWS = 360;
/** How far apart each table's rows are. */
const ROW_MS: Record<HistoryTable, number> = { host_history: 60_000, host_history_rollup: 900_000 };

/** Lets other requests (and /healthz) in between two statements. */
export const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface Buckets {
	/** one point per non-empty bucket, stamped at the bucket's start; each figure the mean of the rows that have it */
	points: HistoryPoint[];
	/** the newest row read (the start of its minute or rollup), or null when there was none */
	lastRowTs: number | null;
}

/**
 * Means per `stepMs`-aligned bucket of [fromMs, toMs] (both ends included), as meanPoint computes
 * them: a null figure is left out of its mean, byte counts are whole, disks per mount (sorted).
 */
export async function historyBuckets(
	db: Db,
	{
		table,
		hostId,
		fromMs,
		toMs,
		stepMs
	}: { table: HistoryTable; hostId: string; fromMs: number; toMs: number; stepMs: number }
): Promise<Buckets> {
	if (!Number.isInteger(stepMs) || stepMs < 1)
		throw new RangeError(`stepMs must be a positive integer, got ${stepMs}`);
	const cells = new Map<number, BucketCell>();
	await readBuckets(db, { table, hostId }, { fromMs, untilMs: toMs + 1, stepMs }, cells);
	return bucketsOf([...cells.values()]);
}

/** One bucket's means and the newest row in it. */
interface BucketCell {
	point: HistoryPoint;
	lastTs: number;
}

function bucketsOf(cells: BucketCell[]): Buckets {
	let lastRowTs: number | null = null;
	for (const c of cells) lastRowTs = Math.max(lastRowTs ?? -Infinity, c.lastTs);
	return { points: cells.map((c) => c.point), lastRowTs };
}

/** The rows with fromMs <= ts < untilMs, grouped per step, a few hundred rows per statement, in time order. */
async function readBuckets(
	db: Db,
	{ table, hostId }: { table: HistoryTable; hostId: string },
	{ fromMs, untilMs, stepMs }: BucketRange,
	into: Map<number, BucketCell>,
	intern: (s: string) => string = (s) => s
): Promise<void> {
	const step = stepMs;
	// chunks end on bucket boundaries, so no bucket is split between two statements
	const chunkMs = Math.max(step, Math.floor((CHUNK_ROWS * ROW_MS[table]) / step) * step);
	for (let start = Math.floor(fromMs / step) * step; start < untilMs; start += chunkMs) {
		const lo = Math.max(fromMs, start);
		const hi = Math.min(untilMs, start + chunkMs) - 1;
		if (start > fromMs) await yieldToLoop();
		const figures = await db.$client.execute({
			sql: `SELECT (ts / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS b, max(ts) AS last,
				avg(steal_pct) AS steal, avg(busy_pct) AS busy, avg(load1) AS load1,
				round(avg(mem_available_bytes)) AS mem, round(avg(swap_used_bytes)) AS swap, round(avg(swap_cached_bytes)) AS cached
				FROM ${table} WHERE host_id = ? AND ts >= ? AND ts <= ? GROUP BY b ORDER BY b`,
			args: [step, step, hostId, lo, hi]
		});
		if (!figures.rows.length) continue;
		// the disks in a turn of the loop of their own, as each chunk
		await yieldToLoop();
		const disks = await db.$client.execute({
			sql: `SELECT (h.ts / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS b, json_extract(d.value, '$.mount') AS mount, avg(json_extract(d.value, '$.usedPct')) AS used
				FROM ${table} h, json_each(h.disks) d WHERE h.host_id = ? AND h.ts >= ? AND h.ts <= ? GROUP BY b, mount ORDER BY b, mount`,
			args: [step, step, hostId, lo, hi]
		});
		const byBucket = new Map<number, HistoryPoint>();
		for (const r of figures.rows) {
			const p: HistoryPoint = {
				ts: Number(r.b),
				stealPct: num(r.steal),
				busyPct: num(r.busy),
				load1: num(r.load1),
				memAvailableBytes: num(r.mem),
				swapUsedBytes: num(r.swap),
				swapCachedBytes: num(r.cached),
				disks: []
			};
			byBucket.set(p.ts, p);
			into.set(p.ts, { point: p, lastTs: Number(r.last) });
		}
		for (const r of disks.rows) {
			const used = num(r.used);
			if (used !== null && typeof r.mount === 'string')
				byBucket.get(Number(r.b))?.disks.push({ mount: intern(r.mount), usedPct: used });
		}
	}
}

/** Minutes may be written up to this long after they end (the sampler closes a minute with the next one's first sample). */
const SETTLE_MS = 2 * 60_000;

/**
 * historyBuckets with the settled buckets kept in memory per table and step (settled-buckets.ts):
 * the same answers, but a week asked for again reads only the newest minutes. The points of kept
 * buckets are shared between answers: callers must not change them.
 */
export function createHistoryBuckets({
	db,
	hostId,
	now = Date.now
}: {
	db: Db;
	hostId: string;
	now?: () => number;
}) {
	const intern = createInterner();
	const kept = Object.fromEntries(
		(['host_history', 'host_history_rollup'] as const).map((table) => [
			table,
			createSettledBuckets<BucketCell>({
				db,
				table,
				hostId,
				settleMs: SETTLE_MS,
				now,
				read: (range, into) => readBuckets(db, { table, hostId }, range, into, intern)
			})
		])
	) as Record<HistoryTable, SettledBuckets<BucketCell>>;

	return {
		/** Means per `stepMs`-aligned bucket of [fromMs, toMs] (both ends included), as historyBuckets. */
		async buckets({
			table,
			fromMs,
			toMs,
			stepMs
		}: {
			table: HistoryTable;
			fromMs: number;
			toMs: number;
			stepMs: number;
		}): Promise<Buckets> {
			if (!Number.isInteger(stepMs) || stepMs < 1)
				throw new RangeError(`stepMs must be a positive integer, got ${stepMs}`);
			// a range starting inside a bucket: that bucket is the range's part of it, read each time
			const first = Math.ceil(fromMs / stepMs) * stepMs;
			const head = new Map<number, BucketCell>();
			if (first > fromMs)
				await readBuckets(
					db,
					{ table, hostId },
					{ fromMs, untilMs: Math.min(first, toMs + 1), stepMs },
					head
				);
			const rest = first <= toMs ? await kept[table].get({ fromMs: first, toMs, stepMs }) : [];
			return bucketsOf([...head.values(), ...rest.map(([, c]) => c)]);
		},
		/** steps and buckets kept per table (tests) */
		size: () => ({ minutes: kept.host_history.size(), rollups: kept.host_history_rollup.size() })
	};
}

function num(v: unknown): number | null {
	return v === null || v === undefined ? null : Number(v);
}
