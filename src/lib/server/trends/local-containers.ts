// Per-container block writes from the stats collector's SQLite history (container_history, 1-minute
// means keyed by compose service or name) for the local trends, when there is no Prometheus.
//
// A week of it for ~40 containers is ~400,000 rows: too many to read per request (issue 21,
// decision 0020). SQLite averages them per step, an hour of rows per statement with a turn of the
// event loop between statements, and the buckets that can no longer change (older than a couple of
// minutes) are kept in memory per step (db/settled-buckets.ts, which also notices rows written
// late into a kept bucket, and the prune pass): after the first answer only the newest are read.
import type { Db } from '../db';
import { yieldToLoop } from '../db/history-buckets';
import { createInterner, createSettledBuckets, type BucketRange } from '../db/settled-buckets';
import type { TrendLine } from '$lib/trends';
import type { StepRange } from './trends';

const HOUR_MS = 3_600_000;
/** A minute's row is written when the collector's next sample closes it: buckets older than this are final. */
const SETTLE_MS = 2 * 60_000;

type Bucket = { keys: string[]; means: number[] };

export function createContainerWriteTrend({
	db,
	hostId,
	now = Date.now
}: {
	db: Db;
	hostId: string;
	now?: () => number;
}) {
	const intern = createInterner();
	/**
	 * Means per (bucket, container) of [fromMs, untilMs), an hour per statement. By the ts index:
	 * SQLite otherwise picks the primary key (host_id, key, ts) and walks every row of the host for
	 * each hour.
	 */
	async function read({ fromMs, untilMs, stepMs }: BucketRange, into: Map<number, Bucket>) {
		const chunkMs = Math.max(stepMs, Math.floor(HOUR_MS / stepMs) * stepMs);
		for (let start = fromMs; start < untilMs; start += chunkMs) {
			if (start > fromMs) await yieldToLoop();
			const res = await db.$client.execute({
				sql: `SELECT (ts / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS b, key, avg(write_bps) AS bps
					FROM container_history INDEXED BY container_history_ts_idx
					WHERE ts >= ? AND ts < ? AND host_id = ? AND write_bps IS NOT NULL GROUP BY b, key`,
				args: [stepMs, stepMs, start, Math.min(untilMs, start + chunkMs), hostId]
			});
			for (const r of res.rows) {
				const bps = Number(r.bps);
				if (!Number.isFinite(bps)) continue;
				const b = Number(r.b);
				let bucket = into.get(b);
				if (!bucket) into.set(b, (bucket = { keys: [], means: [] }));
				bucket.keys.push(intern(String(r.key)));
				bucket.means.push(bps);
			}
		}
	}

	const kept = createSettledBuckets<Bucket>({
		db,
		table: 'container_history',
		hostId,
		read,
		settleMs: SETTLE_MS,
		now
	});

	async function lines({ fromMs, toMs, stepMs }: StepRange): Promise<TrendLine[]> {
		// whole buckets, even where the range starts inside one
		const first = Math.floor(fromMs / stepMs) * stepMs;
		const buckets = await kept.get({ fromMs: first, toMs, stepMs });
		await yieldToLoop(); // the lines in a turn of their own: ~80,000 points for a week of 40 containers
		const byKey = new Map<string, [number, number][]>();
		for (const [b, bucket] of buckets)
			for (let i = 0; i < bucket.keys.length; i++) {
				let pts = byKey.get(bucket.keys[i]);
				if (!pts) byKey.set(bucket.keys[i], (pts = []));
				pts.push([b, bucket.means[i]]);
			}
		return [...byKey]
			.sort(([a], [b]) => a.localeCompare(b))
			.map(([key, points]) => ({ key, label: key, points }));
	}

	return { lines };
}

export type ContainerWriteTrend = ReturnType<typeof createContainerWriteTrend>;
