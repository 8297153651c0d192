// Reads what the ranking (attribution.ts) needs from SQLite: the host's 1-minute history, the
// container history's per-minute memory at both ends of the window, and the Ollama usage
// record. Each read is one bounded range on an indexed column (host_history and
// container_history by their primary keys / ts index, ollama_usage by host and start).
//
// The window: unless the caller gives `fromMs`, it starts at the calmest minute of the
// lookback (the lowest "swap used − MemAvailable", the latest of equals), so "since 03:00"
// names when the pressure began rather than an arbitrary hour ago. Both ends compare like with
// like: at the start the host's and the containers' stored minute means; at the end, when the
// caller gives the sampler's live reading, the stats collector's live readings too. A stored
// minute there lags the live host reading by 30–90 s: on the reference stack
// (tests/integration/memory-grower.test.ts) a container 281 MiB into a 2.5 MiB/s growth was named
// +108 MiB, behind "host other +140 MiB", in the MemAvailable alert.
import { and, asc, desc, eq, gte, isNull, isNotNull, lte, or } from 'drizzle-orm';
import type { Db } from '../db';
import { hostHistory, ollamaUsage } from '../db/schema';
import {
	rankMemoryGrowth,
	type ContainerRss,
	type HostMemory,
	type MemoryTrace
} from './attribution';

export const TRACE_LOOKBACK_MS = 2 * 3_600_000;
/**
 * A container's reading at the end of the window is its latest minute within this much (the
 * collector writes a minute after it ends); at the start, its first minute within START_SLACK_MS
 * (short, so a container created just after the start still counts from zero).
 */
const END_SLACK_MS = 5 * 60_000;
const START_SLACK_MS = 2 * 60_000;

export interface TraceOptions {
	hostId: string;
	/** the end of the window, epoch ms */
	toMs: number;
	/** the start; default: the calmest minute of the lookback before toMs */
	fromMs?: number;
	lookbackMs?: number;
	/** the sampler's latest reading, fresher than the stored minute (its `at` should be ≤ toMs) */
	current?: HostMemory;
	/**
	 * The stats collector's latest readings (`liveContainers`), taken with `current`: the
	 * containers' end of the window. Used with `current` only, and only when no older than
	 * END_SLACK_MS before it; else each container's last stored minute is the end.
	 */
	currentContainers?: LiveContainers;
}

export interface LiveContainers {
	/** epoch ms of the newest reading */
	at: number;
	containers: ContainerRss[];
}

/**
 * The stats collector's latest samples as the trace's end: one reading per history key, the mean
 * of a scaled service's replicas as its stored minute holds it (stats-collector.ts feedHistory),
 * so both ends of the window measure the same thing. Undefined when there is no sample.
 */
export function liveContainers(
	samples: Iterable<{ key: string; name: string; ts: number; memUsedBytes: number }>
): LiveContainers | undefined {
	const byKey = new Map<string, { name: string; sum: number; n: number }>();
	let at = -Infinity;
	for (const s of samples) {
		at = Math.max(at, s.ts);
		const k = byKey.get(s.key) ?? { name: s.name, sum: 0, n: 0 };
		k.name = s.name;
		k.sum += s.memUsedBytes;
		k.n++;
		byKey.set(s.key, k);
	}
	if (!byKey.size) return undefined;
	return {
		at,
		containers: [...byKey].map(([key, k]) => ({
			key,
			name: k.name,
			rssBytes: Math.round(k.sum / k.n)
		}))
	};
}

const pressure = (h: HostMemory) => (h.swapUsedBytes ?? 0) - (h.memAvailableBytes ?? 0);

/** The trace over the window, or null when the history holds no host reading in it. */
export async function traceMemoryPressure(
	db: Db,
	{ hostId, toMs, fromMs, lookbackMs = TRACE_LOOKBACK_MS, current, currentContainers }: TraceOptions
): Promise<MemoryTrace | null> {
	const start = fromMs ?? toMs - lookbackMs;
	const rows = await db
		.select({
			at: hostHistory.ts,
			memAvailableBytes: hostHistory.memAvailableBytes,
			swapUsedBytes: hostHistory.swapUsedBytes,
			swapCachedBytes: hostHistory.swapCachedBytes
		})
		.from(hostHistory)
		.where(
			and(eq(hostHistory.hostId, hostId), gte(hostHistory.ts, start), lte(hostHistory.ts, toMs))
		)
		.orderBy(asc(hostHistory.ts));
	const points: HostMemory[] = current ? [...rows.filter((r) => r.at < current.at), current] : rows;
	if (points.length < 2) return null;
	const after = points.at(-1)!;
	let before = points[0];
	if (fromMs === undefined)
		for (const p of points.slice(0, -1)) if (pressure(p) <= pressure(before)) before = p;

	const live =
		current && currentContainers && currentContainers.at >= after.at - END_SLACK_MS
			? currentContainers.containers
			: null;
	const [first, last, models] = await Promise.all([
		containersNear(db, {
			hostId,
			fromMs: before.at,
			toMs: before.at + START_SLACK_MS,
			pick: 'first'
		}),
		live ??
			containersNear(db, { hostId, fromMs: after.at - END_SLACK_MS, toMs: after.at, pick: 'last' }),
		db
			.select()
			.from(ollamaUsage)
			.where(
				and(
					eq(ollamaUsage.hostId, hostId),
					lte(ollamaUsage.startedAt, after.at),
					or(isNull(ollamaUsage.endedAt), gte(ollamaUsage.endedAt, before.at))
				)
			)
	]);
	return rankMemoryGrowth({
		before: { host: before, containers: first },
		after: { host: after, containers: last },
		models: models.map((m) => ({
			model: m.model,
			loadedAt: m.startedAt,
			unloadedAt: m.endedAt,
			sizeBytes: m.sizeBytes
		}))
	});
}

/**
 * The week's swap peak (the highest stored minute in [fromMs, toMs], the latest of equals) and
 * what grew on the way to it; null when the history holds no swap reading.
 */
export async function traceSwapPeak(
	db: Db,
	{ hostId, fromMs, toMs }: { hostId: string; fromMs: number; toMs: number }
): Promise<{ peakAt: number; trace: MemoryTrace | null } | null> {
	const [peak] = await db
		.select({ ts: hostHistory.ts })
		.from(hostHistory)
		.where(
			and(
				eq(hostHistory.hostId, hostId),
				gte(hostHistory.ts, fromMs),
				lte(hostHistory.ts, toMs),
				isNotNull(hostHistory.swapUsedBytes)
			)
		)
		.orderBy(desc(hostHistory.swapUsedBytes), desc(hostHistory.ts))
		.limit(1);
	if (!peak) return null;
	return { peakAt: peak.ts, trace: await traceMemoryPressure(db, { hostId, toMs: peak.ts }) };
}

/** Each container's memory at its first (or last) minute inside [fromMs, toMs]. */
async function containersNear(
	db: Db,
	{
		hostId,
		fromMs,
		toMs,
		pick
	}: { hostId: string; fromMs: number; toMs: number; pick: 'first' | 'last' }
): Promise<ContainerRss[]> {
	// by the ts index: with host_id = ? SQLite picks the primary key (host_id, key, ts) and walks
	// every row of the host (a week of 40 containers: 70 ms for a 5-minute window)
	const res = await db.$client.execute({
		sql: `SELECT key, name, mem_used_bytes AS rss FROM container_history INDEXED BY container_history_ts_idx
			WHERE ts >= ? AND ts <= ? AND host_id = ? ORDER BY ts`,
		args: [fromMs, toMs, hostId]
	});
	const rows = res.rows.map((r) => ({
		key: String(r.key),
		name: String(r.name),
		rssBytes: r.rss === null ? null : Number(r.rss)
	}));
	const byKey = new Map<string, ContainerRss>();
	for (const r of rows) {
		if (r.rssBytes === null) continue;
		if (pick === 'first' && byKey.has(r.key)) continue;
		byKey.set(r.key, { key: r.key, name: r.name, rssBytes: r.rssBytes });
	}
	return [...byKey.values()];
}
