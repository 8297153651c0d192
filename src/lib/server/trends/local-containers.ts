// Per-container block writes from the stats collector's SQLite history (container_history, 1-minute
// means keyed by compose service or name) for the local trends, when there is no Prometheus.
//
// A week of it for ~40 containers is ~400,000 rows: too many to read per request (issue 21,
// decision 0020). SQLite averages them per step, an hour of rows per statement with a turn of the
// event loop between statements, and the buckets that can no longer change (older than a couple of
// minutes) are kept in memory per step: after the first answer only the newest buckets are read.
// A row written later into a kept bucket (an import, a clock step) is noticed by its rowid: rows
// past the highest rowid seen are looked at on every call (one index range), and the buckets from
// the oldest of them on are read again.
import type { Db } from '../db';
import { yieldToLoop } from '../db/history-buckets';
import type { TrendLine } from '$lib/trends';
import type { StepRange } from './trends';

const HOUR_MS = 3_600_000;
/** A minute's row is written when the collector's next sample closes it: buckets older than this are final. */
const SETTLE_MS = 2 * 60_000;

type Bucket = { keys: string[]; means: number[] };

interface StepCache {
	/** buckets in [fromMs, toMs) are all here (an absent one had no rows) */
	fromMs: number;
	toMs: number;
	buckets: Map<number, Bucket>;
	/** the highest container_history rowid when the buckets were last brought up to date */
	seenRowid: number;
}

export function createContainerWriteTrend({
	db,
	hostId,
	now = Date.now
}: {
	db: Db;
	hostId: string;
	now?: () => number;
}) {
	const caches = new Map<number, StepCache>();
	// one fill at a time: two requests for the same step must not both read the same week
	let queue: Promise<unknown> = Promise.resolve();

	/**
	 * Means per (bucket, container) of [lo, hi), a chunk per statement. By the ts index: SQLite
	 * otherwise picks the primary key (host_id, key, ts) and walks every row of the host for each hour.
	 */
	async function read(stepMs: number, lo: number, hi: number, into: Map<number, Bucket>) {
		const chunkMs = Math.max(stepMs, Math.floor(HOUR_MS / stepMs) * stepMs);
		for (let start = lo; start < hi; start += chunkMs) {
			if (start > lo) await yieldToLoop();
			const res = await db.$client.execute({
				sql: `SELECT (ts / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS b, key, avg(write_bps) AS bps
					FROM container_history INDEXED BY container_history_ts_idx
					WHERE ts >= ? AND ts < ? AND host_id = ? AND write_bps IS NOT NULL GROUP BY b, key`,
				args: [stepMs, stepMs, start, Math.min(hi, start + chunkMs), hostId]
			});
			for (const r of res.rows) {
				const bps = Number(r.bps);
				if (!Number.isFinite(bps)) continue;
				const b = Number(r.b);
				let bucket = into.get(b);
				if (!bucket) into.set(b, (bucket = { keys: [], means: [] }));
				bucket.keys.push(String(r.key));
				bucket.means.push(bps);
			}
		}
	}

	async function lines({ fromMs, toMs, stepMs }: StepRange): Promise<TrendLine[]> {
		const first = Math.floor(fromMs / stepMs) * stepMs;
		const settled = Math.max(
			first,
			Math.min(
				Math.floor((now() - SETTLE_MS) / stepMs) * stepMs,
				Math.floor(toMs / stepMs) * stepMs
			)
		);
		const fill = queue.then(async () => {
			const top = Number(
				(await db.$client.execute('SELECT max(rowid) AS top FROM container_history')).rows[0]
					?.top ?? 0
			);
			const news = await db.$client.execute({
				sql: 'SELECT min(ts) AS oldest FROM container_history WHERE rowid > ? AND rowid <= ?',
				args: [caches.get(stepMs)?.seenRowid ?? top, top]
			});
			let cache = caches.get(stepMs);
			if (!cache || cache.toMs < first || cache.fromMs > settled) {
				cache = { fromMs: first, toMs: first, buckets: new Map(), seenRowid: 0 };
				caches.set(stepMs, cache);
			}
			const oldestNew = news.rows[0]?.oldest;
			if (oldestNew !== null && oldestNew !== undefined && Number(oldestNew) < cache.toMs) {
				const from = Math.max(cache.fromMs, Math.floor(Number(oldestNew) / stepMs) * stepMs);
				for (const b of cache.buckets.keys()) if (b >= from) cache.buckets.delete(b);
				cache.toMs = from;
			}
			cache.seenRowid = top;
			if (first < cache.fromMs) {
				await read(stepMs, first, cache.fromMs, cache.buckets);
				cache.fromMs = first;
			}
			if (settled > cache.toMs) {
				await read(stepMs, cache.toMs, settled, cache.buckets);
				cache.toMs = settled;
			}
			// the window slides forward: what is before it now is not asked for again
			if (first > cache.fromMs) {
				for (const b of cache.buckets.keys()) if (b < first) cache.buckets.delete(b);
				cache.fromMs = first;
			}
			return cache;
		});
		queue = fill.catch(() => undefined);
		const cache = await fill;
		// the unsettled tail (the last few minutes) is read fresh every time
		const tail = new Map<number, Bucket>();
		await read(stepMs, Math.max(first, cache.toMs), toMs + 1, tail);

		const byKey = new Map<string, [number, number][]>();
		const add = (b: number, bucket: Bucket) => {
			for (let i = 0; i < bucket.keys.length; i++) {
				let pts = byKey.get(bucket.keys[i]);
				if (!pts) byKey.set(bucket.keys[i], (pts = []));
				pts.push([b, bucket.means[i]]);
			}
		};
		const settledTs = [...cache.buckets.keys()]
			.filter((b) => b >= first && b <= toMs)
			.sort((a, b) => a - b);
		for (const b of settledTs) add(b, cache.buckets.get(b)!);
		for (const b of [...tail.keys()].sort((a, c) => a - c)) add(b, tail.get(b)!);
		return [...byKey]
			.sort(([a], [b]) => a.localeCompare(b))
			.map(([key, points]) => ({ key, label: key, points }));
	}

	return { lines };
}

export type ContainerWriteTrend = ReturnType<typeof createContainerWriteTrend>;
