// Step buckets that can no longer change, kept in memory per step (issue 21, decision 0020).
//
// A week of history asked for again and again (a page's charts, the score, the alerts, a script
// polling health.history) is the same rows each time but the newest few minutes. A bucket is
// settled once it ended more than `settleMs` ago; it is then read once and kept, and each call
// reads only what the kept buckets do not cover and the unsettled tail.
//
// Three cheap statements per call keep the kept buckets true to the table:
// - rows past the highest rowid seen (a late write, an import, a clock step): the buckets from the
//   oldest of them on are read again;
// - the host's oldest row moved up (the prune pass deleted the old end): the buckets before it are
//   dropped and the one it falls in is read again;
// - the table's highest rowid went down (rows deleted from the new end, a restore): all is dropped.
// An UPDATE of a row in place is not seen: the tables this serves are appended to and pruned, and
// their only upsert (a minute written twice across a restart) happens before this process reads.
import type { Db } from './index';

export type BucketTable = 'host_history' | 'host_history_rollup' | 'container_history';

/** The rows with fromMs <= ts < untilMs, grouped into buckets of stepMs (keyed by their start). */
export interface BucketRange {
	fromMs: number;
	untilMs: number;
	stepMs: number;
}

export interface SettledBucketsOptions<B> {
	db: Db;
	/** a rowid table with `host_id` and `ts` columns */
	table: BucketTable;
	hostId: string;
	/** Reads the buckets of the rows in [fromMs, untilMs) into `into`, keyed by bucket start (the tail's untilMs may fall inside a bucket). */
	read(range: BucketRange, into: Map<number, B>): Promise<void>;
	/** how long after its end a bucket's rows may still be written */
	settleMs: number;
	now?: () => number;
	/** steps kept; the least recently asked for is dropped */
	maxSteps?: number;
	/** buckets kept per step beyond the range asked for; the oldest are dropped */
	maxBuckets?: number;
}

interface StepCache<B> {
	/** every bucket in [fromMs, toMs) is here (an absent one had no rows) */
	fromMs: number;
	toMs: number;
	buckets: Map<number, B>;
	/** the table's highest rowid when the buckets were last brought up to date */
	seenRowid: number;
	/** the host's oldest ts then (null: no rows) */
	oldestTs: number | null;
}

/**
 * One copy of each string the kept buckets hold (container keys, mounts): every row SQLite returns
 * brings a new string, and a week of 5-minute buckets of 40 containers kept 80,000 copies of 40
 * names for the garbage collector to walk on every full collection.
 */
export function createInterner(): (s: string) => string {
	const pool = new Map<string, string>();
	return (s) => {
		const kept = pool.get(s);
		if (kept !== undefined) return kept;
		pool.set(s, s);
		return s;
	};
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function createSettledBuckets<B>({
	db,
	table,
	hostId,
	read,
	settleMs,
	now = Date.now,
	maxSteps = 6,
	maxBuckets = 4000
}: SettledBucketsOptions<B>) {
	const caches = new Map<number, StepCache<B>>();
	// one fill at a time: two calls for the same step must not both read the same week
	let queue: Promise<unknown> = Promise.resolve();
	// container_history's primary key starts (host_id, key): its oldest row by the ts index
	const oldestSql =
		table === 'container_history'
			? 'SELECT ts AS lo FROM container_history INDEXED BY container_history_ts_idx WHERE host_id = ? ORDER BY ts LIMIT 1'
			: `SELECT min(ts) AS lo FROM ${table} WHERE host_id = ?`;

	async function one(sql: string, args: (string | number)[] = []): Promise<number | null> {
		const res = await db.$client.execute({ sql, args });
		const row = res.rows[0];
		return row ? num(row[0]) : null;
	}

	/** Brings the step's kept buckets up to date for [first, settled); returns those in it, in order. */
	async function fill(stepMs: number, first: number, settled: number): Promise<[number, B][]> {
		const floorStep = (t: number) => Math.floor(t / stepMs) * stepMs;
		const top = (await one(`SELECT max(rowid) FROM ${table}`)) ?? 0;
		const lo = await one(oldestSql, [hostId]);
		let c = caches.get(stepMs);
		caches.delete(stepMs); // set again below: the steps stay in the order last asked for
		if (c && top < c.seenRowid) c = undefined;
		if (c) {
			// by the rowid range (a few rows): the unary + keeps SQLite from walking the host's whole
			// index in ts order instead (20 ms for a week of 40 containers)
			const oldestNew = await one(
				`SELECT min(+ts) FROM ${table} WHERE rowid > ? AND rowid <= ? AND +host_id = ?`,
				[c.seenRowid, top, hostId]
			);
			if (oldestNew !== null && oldestNew < c.toMs) {
				const from = Math.max(c.fromMs, floorStep(oldestNew));
				for (const b of c.buckets.keys()) if (b >= from) c.buckets.delete(b);
				c.toMs = from;
			}
			if (c.oldestTs !== null && (lo === null || lo > c.oldestTs)) {
				// pruned: the bucket the oldest row is in lost rows, those before it lost all
				const keepFrom = lo === null ? Infinity : floorStep(lo) + stepMs;
				if (keepFrom >= c.toMs) c = undefined;
				else if (keepFrom > c.fromMs) {
					for (const b of c.buckets.keys()) if (b < keepFrom) c.buckets.delete(b);
					c.fromMs = keepFrom;
				}
			}
		}
		// a range that does not touch the kept one starts over (no gap is read to join them)
		if (!c || settled < c.fromMs || first > c.toMs)
			c = { fromMs: first, toMs: first, buckets: new Map(), seenRowid: top, oldestTs: lo };
		if (first < c.fromMs) {
			await read({ fromMs: first, untilMs: c.fromMs, stepMs }, c.buckets);
			c.fromMs = first;
		}
		if (settled > c.toMs) {
			await read({ fromMs: c.toMs, untilMs: settled, stepMs }, c.buckets);
			c.toMs = settled;
		}
		c.seenRowid = top;
		c.oldestTs = lo;
		const keepFrom = Math.min(first, c.toMs - maxBuckets * stepMs);
		if (keepFrom > c.fromMs) {
			for (const b of c.buckets.keys()) if (b < keepFrom) c.buckets.delete(b);
			c.fromMs = keepFrom;
		}
		caches.set(stepMs, c);
		while (caches.size > maxSteps) caches.delete(caches.keys().next().value!);
		const out: [number, B][] = [];
		for (let b = first; b < settled; b += stepMs) {
			const x = c.buckets.get(b);
			if (x !== undefined) out.push([b, x]);
		}
		return out;
	}

	return {
		/**
		 * The buckets of [fromMs, toMs] (fromMs on a step boundary, toMs included) in time order:
		 * the settled ones kept, the rest read now. The kept bucket objects are shared between
		 * answers: callers must not change them.
		 */
		async get({
			fromMs,
			toMs,
			stepMs
		}: {
			fromMs: number;
			toMs: number;
			stepMs: number;
		}): Promise<[number, B][]> {
			if (!Number.isInteger(stepMs) || stepMs < 1)
				throw new RangeError(`stepMs must be a positive integer, got ${stepMs}`);
			if (fromMs % stepMs !== 0)
				throw new RangeError(`fromMs must be on a step boundary, got ${fromMs} for ${stepMs}`);
			if (toMs < fromMs) return [];
			// buckets before `whole` end inside the range; before `settled` they are final too
			const whole = Math.floor((toMs + 1) / stepMs) * stepMs;
			const settled = Math.max(
				fromMs,
				Math.min(Math.floor((now() - settleMs) / stepMs) * stepMs, whole)
			);
			const filled = queue.then(() => fill(stepMs, fromMs, settled));
			queue = filled.catch(() => undefined);
			const kept = await filled;
			const tail = new Map<number, B>();
			await read({ fromMs: settled, untilMs: toMs + 1, stepMs }, tail);
			return [...kept, ...[...tail].sort((a, b) => a[0] - b[0])];
		},
		/** steps kept and buckets in all of them (tests) */
		size(): { steps: number; buckets: number } {
			let buckets = 0;
			for (const c of caches.values()) buckets += c.buckets.size;
			return { steps: caches.size, buckets };
		}
	};
}

export type SettledBuckets<B> = ReturnType<typeof createSettledBuckets<B>>;
