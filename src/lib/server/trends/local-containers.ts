// Per-container block writes from the stats collector's SQLite history (container_history, 1-minute
// means keyed by compose service or name) for the local trends, when there is no Prometheus.
import { and, asc, eq, gte, lte } from 'drizzle-orm';
import type { Db } from '../db';
import { containerHistory } from '../db/schema';
import type { TrendLine } from '$lib/trends';

export async function containerWritesRange(db: Db, { hostId, fromMs, toMs }: { hostId: string; fromMs: number; toMs: number }) {
	return db
		.select({ key: containerHistory.key, ts: containerHistory.ts, writeBps: containerHistory.writeBps })
		.from(containerHistory)
		.where(and(eq(containerHistory.hostId, hostId), gte(containerHistory.ts, fromMs), lte(containerHistory.ts, toMs)))
		.orderBy(asc(containerHistory.ts));
}

/** Mean bytes/s per container and step-aligned bucket (pure). */
export function writeLines(rows: { key: string; ts: number; writeBps: number | null }[], stepSec: number): TrendLine[] {
	const stepMs = stepSec * 1000;
	const byKey = new Map<string, Map<number, { sum: number; n: number }>>();
	for (const r of rows) {
		if (r.writeBps === null || !Number.isFinite(r.writeBps)) continue;
		let buckets = byKey.get(r.key);
		if (!buckets) byKey.set(r.key, (buckets = new Map()));
		const b = Math.floor(r.ts / stepMs) * stepMs;
		const m = buckets.get(b) ?? { sum: 0, n: 0 };
		m.sum += r.writeBps;
		m.n++;
		buckets.set(b, m);
	}
	return [...byKey]
		.sort(([a], [b]) => a.localeCompare(b))
		.map(([key, buckets]) => ({ key, label: key, points: [...buckets].sort(([a], [b]) => a - b).map(([t, m]) => [t, m.sum / m.n] as [number, number]) }));
}
