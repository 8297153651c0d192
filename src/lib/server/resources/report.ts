// The resources report: joins the Docker adapter's list, the collector's latest samples, the
// 7-day container_history (aggregated in SQL per hour and container, the settled hours kept in
// memory: memory peak and span, and hourly write bytes; the memory median per container), OOM
// records and free disk into the pure advice / io / freshness / cost modules. Read-only: nothing
// is applied. Cached for 30 s (the history moves per minute).
import { and, asc, eq, gte, isNotNull, lte } from 'drizzle-orm';
import type { HostSample } from '$lib/health';
import type { Availability } from '../availability';
import type { Db } from '../db';
import { containerHistory } from '../db/schema';
import { yieldToLoop } from '../db/history-buckets';
import {
	createInterner,
	createSettledBuckets,
	type BucketRange,
	type SettledBuckets
} from '../db/settled-buckets';
import { detectLayout, type CgroupLayout } from '../docker/cgroup';
import type { DockerAdapter } from '../docker';
import type { ContainerInfo } from '../docker';
import { historyKeyOf, type StatsCollector } from '../docker/stats-collector';
import type { Logger } from '../log';
import { adviseMemory, type AdviceRow, type MemorySummary } from './advice';
import { categorise } from './categories';
import { costByGroup, type CostGroup } from './cost';
import { imageFreshness, type FreshnessRow } from './freshness';
import { ioReport, type IoAnomaly, type IoReport, type WritePoint } from './io';
import { oomKillsOf, readCgroupOomKills, recordedOoms } from './oom';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const WINDOW_MS = 7 * DAY_MS;

export interface ResourcesSettings {
	headroom: number;
	ioThresholdBytesPerDay: number;
	ioFactor: number;
	imageMaxAgeDays: number;
}

export interface ResourcesReport {
	/** epoch ms the report was built */
	at: number;
	/** where the container list came from: live, or the last good list while Docker is down */
	docker: { state: 'ok' | 'unavailable'; reason: string | null; listAt: number | null };
	advice: AdviceRow[];
	io: IoReport;
	freshness: FreshnessRow[];
	/** null when the image list could not be read */
	imagesError: string | null;
	cost: CostGroup[];
	settings: ResourcesSettings & { freeDiskMount: string | null };
}

export interface ResourcesDeps {
	db: Db;
	hostId: string;
	docker: Pick<DockerAdapter, 'containers' | 'api' | 'refresh' | 'status'>;
	stats: Pick<StatsCollector, 'latest'>;
	/** free bytes of the disk Docker writes to, null when unknown */
	freeDisk: () => { mount: string; availBytes: number } | null;
	cgroupRoot: string;
	settings: ResourcesSettings;
	cacheMs?: number;
	now?: () => number;
	log: Logger;
}

/** One container's minutes in one hour of container_history. */
interface KeyHour {
	/** over the minutes with a memory reading: the highest peak, the first and last minute, how many */
	memPeak: number | null;
	memFirst: number | null;
	memLast: number | null;
	memMinutes: number;
	/** over the minutes with a write rate: the first minute and the bytes (the mean rate × 60 s, summed) */
	writeFirst: number | null;
	writeBytes: number | null;
}
type HourBucket = Map<string, KeyHour>;

/**
 * Per hour and container, an hour of rows per statement by the ts index (a week of 40 containers
 * grouped per key in one statement walked ~400,000 rows scattered through the table: over a
 * second of the event loop, decision 0020), a turn of the loop between hours.
 */
function readHours(db: Db, hostId: string) {
	const intern = createInterner();
	return async ({ fromMs, untilMs }: BucketRange, into: Map<number, HourBucket>) => {
		for (let start = fromMs; start < untilMs;) {
			const hour = Math.floor(start / HOUR_MS) * HOUR_MS;
			const end = Math.min(untilMs, hour + HOUR_MS);
			if (start > fromMs) await yieldToLoop();
			const res = await db.$client.execute({
				sql: `SELECT key,
						max(CASE WHEN mem_used_bytes IS NOT NULL THEN coalesce(mem_peak_bytes, mem_used_bytes) END) AS mem_peak,
						min(CASE WHEN mem_used_bytes IS NOT NULL THEN ts END) AS mem_first,
						max(CASE WHEN mem_used_bytes IS NOT NULL THEN ts END) AS mem_last,
						count(mem_used_bytes) AS mem_minutes,
						min(CASE WHEN write_bps IS NOT NULL THEN ts END) AS write_first,
						sum(write_bps * 60) AS write_bytes
					FROM container_history INDEXED BY container_history_ts_idx
					WHERE ts >= ? AND ts < ? AND host_id = ? GROUP BY key`,
				args: [start, end, hostId]
			});
			if (res.rows.length) {
				const bucket: HourBucket = new Map();
				for (const r of res.rows)
					bucket.set(intern(String(r.key)), {
						memPeak: numOrNull(r.mem_peak),
						memFirst: numOrNull(r.mem_first),
						memLast: numOrNull(r.mem_last),
						memMinutes: Number(r.mem_minutes),
						writeFirst: numOrNull(r.write_first),
						writeBytes: numOrNull(r.write_bytes)
					});
				into.set(hour, bucket);
			}
			start = end;
		}
	};
}

const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Memory over the window per key, before its median (read per key, see medianBytes). */
type MemorySpan = { peakBytes: number; firstMs: number; lastMs: number; minutes: number };

/**
 * The window's history per key from the hours (the settled ones kept in memory): memory peak and
 * span, and write bytes per hour. The hour holding the "last 24 h" edge is split at it, each part
 * dated by its first minute, so the last-24 h sum stays exact to the minute.
 */
async function historyOf(
	db: Db,
	hostId: string,
	hours: SettledBuckets<HourBucket>,
	{ sinceMs, edgeMs, toMs }: { sinceMs: number; edgeMs: number; toMs: number }
): Promise<{ memory: Map<string, MemorySpan>; writes: Map<string, WritePoint[]> }> {
	const read = readHours(db, hostId);
	// the window starts inside an hour: that hour's part of it is read each time
	const first = Math.ceil(sinceMs / HOUR_MS) * HOUR_MS;
	const head = new Map<number, HourBucket>();
	if (first > sinceMs) await read({ fromMs: sinceMs, untilMs: first, stepMs: HOUR_MS }, head);
	const buckets = [...head, ...(await hours.get({ fromMs: first, toMs, stepMs: HOUR_MS }))];
	const edgeHour = Math.floor(edgeMs / HOUR_MS) * HOUR_MS;
	const split = new Map<string, WritePoint[]>();
	if (edgeMs > edgeHour) {
		await yieldToLoop();
		const res = await db.$client.execute({
			sql: `SELECT key, min(ts) AS first, sum(write_bps * 60) AS bytes
				FROM container_history INDEXED BY container_history_ts_idx
				WHERE ts >= ? AND ts < ? AND host_id = ? AND write_bps IS NOT NULL
				GROUP BY key, ts >= ? ORDER BY key, first`,
			args: [edgeHour, edgeHour + HOUR_MS, hostId, edgeMs]
		});
		for (const r of res.rows) {
			const list = split.get(String(r.key)) ?? [];
			list.push(hourPoint(Number(r.first), Number(r.bytes)));
			split.set(String(r.key), list);
		}
	}
	const memory = new Map<string, MemorySpan>();
	const writes = new Map<string, WritePoint[]>();
	const addWrites = (key: string, points: WritePoint[]) => {
		const list = writes.get(key);
		if (list) list.push(...points);
		else writes.set(key, [...points]);
	};
	let splitAdded = edgeMs === edgeHour;
	const addSplit = () => {
		for (const [key, points] of split) addWrites(key, points);
		splitAdded = true;
	};
	for (const [b, bucket] of buckets) {
		if (!splitAdded && b >= edgeHour) addSplit();
		for (const [key, h] of bucket) {
			if (h.memMinutes > 0) {
				const m = memory.get(key);
				if (!m)
					memory.set(key, {
						peakBytes: h.memPeak!,
						firstMs: h.memFirst!,
						lastMs: h.memLast!,
						minutes: h.memMinutes
					});
				else {
					m.peakBytes = Math.max(m.peakBytes, h.memPeak!);
					m.firstMs = Math.min(m.firstMs, h.memFirst!);
					m.lastMs = Math.max(m.lastMs, h.memLast!);
					m.minutes += h.memMinutes;
				}
			}
			if (b !== edgeHour || edgeMs === edgeHour)
				if (h.writeFirst !== null && h.writeBytes !== null)
					addWrites(key, [hourPoint(h.writeFirst, h.writeBytes)]);
		}
	}
	if (!splitAdded) addSplit();
	return { memory, writes };
}

/** the bytes of the bucket, as a rate over a nominal hour */
const hourPoint = (ts: number, bytes: number): WritePoint => ({
	ts,
	writeBps: bytes / 3600,
	seconds: 3600
});

/**
 * A key's median memory over the window: the middle one or two of its minutes (SQLite has no
 * median()), a range of the primary key (a week of one container: ~10 ms).
 */
async function medianBytes(
	db: Db,
	{
		hostId,
		key,
		sinceMs,
		toMs,
		minutes
	}: { hostId: string; key: string; sinceMs: number; toMs: number; minutes: number }
): Promise<number> {
	const mid = await db
		.select({ v: containerHistory.memUsedBytes })
		.from(containerHistory)
		.where(
			and(
				eq(containerHistory.hostId, hostId),
				eq(containerHistory.key, key),
				gte(containerHistory.ts, sinceMs),
				lte(containerHistory.ts, toMs),
				isNotNull(containerHistory.memUsedBytes)
			)
		)
		.orderBy(asc(containerHistory.memUsedBytes))
		.limit(minutes % 2 ? 1 : 2)
		.offset(Math.floor((minutes - 1) / 2));
	const vals = mid.map((m) => Number(m.v));
	return vals.reduce((a, b) => a + b, 0) / vals.length;
}

/** Memory peak, median and span per key; a key's median in a turn of the event loop of its own. */
async function memorySummaries(
	db: Db,
	hostId: string,
	spans: Map<string, MemorySpan>,
	{ sinceMs, toMs }: { sinceMs: number; toMs: number }
): Promise<Map<string, MemorySummary>> {
	const out = new Map<string, MemorySummary>();
	for (const [key, s] of spans) {
		await yieldToLoop();
		out.set(key, {
			peakBytes: s.peakBytes,
			medianBytes: await medianBytes(db, { hostId, key, sinceMs, toMs, minutes: s.minutes }),
			historyMs: s.lastMs - s.firstMs + 60_000
		});
	}
	return out;
}

/** The disk Docker writes to (ResourcesDeps.freeDisk): /var/lib/docker when it is a sampled mount of its own, else the first readable one. */
export function dockerDisk(
	sample: HostSample | null
): { mount: string; availBytes: number } | null {
	const disks = sample?.disks ?? [];
	const d =
		disks.find((x) => x.mount === '/var/lib/docker' && x.figures.ok) ??
		disks.find((x) => x.figures.ok);
	return d && d.figures.ok ? { mount: d.mount, availBytes: d.figures.availBytes } : null;
}

export function createResources(deps: ResourcesDeps) {
	const { db, hostId, settings, log, cacheMs = 30_000, now = Date.now } = deps;
	let layout: CgroupLayout | null = null;
	let cache: { at: number; report: Promise<ResourcesReport> } | null = null;
	// the settled hours of container_history, kept (db/settled-buckets.ts): a week is read once
	const hours = createSettledBuckets<HourBucket>({
		db,
		table: 'container_history',
		hostId,
		read: readHours(db, hostId),
		settleMs: 2 * 60_000,
		now
	});

	function listOf(a: Availability<ContainerInfo[]>): ContainerInfo[] {
		return a.state === 'ok' ? a.data : (a.lastGood ?? []);
	}

	/** The containers to report on, by history key, and their latest samples. */
	async function containersNow() {
		// a report asked for before the adapter's first refresh (the alerts engine at start-up)
		// waits for it: cached for 30 s, it would otherwise show "No containers" that long
		const avail =
			deps.docker.status().refreshes === 0 ? await deps.docker.refresh() : deps.docker.containers();
		const list = listOf(avail);
		const running = list.filter((c) => c.state === 'running');
		// one row per history key (scaled replicas share a service's limit): the first running one
		const byKey = new Map<string, ContainerInfo>();
		for (const c of [...running, ...list.filter((c) => c.state !== 'running')])
			if (!byKey.has(historyKeyOf(c))) byKey.set(historyKeyOf(c), c);
		return { avail, running, byKey, latest: deps.stats.latest() };
	}

	function ioOf(
		{ byKey, latest }: Pick<Awaited<ReturnType<typeof containersNow>>, 'byKey' | 'latest'>,
		writes: Map<string, WritePoint[]>,
		t: number,
		disk = deps.freeDisk()
	): IoReport {
		return ioReport(
			[...byKey].map(([key, c]) => ({
				key,
				name: c.name,
				stack: c.stack,
				points: writes.get(key) ?? [],
				currentBps: latest.get(c.id)?.writeBps ?? null
			})),
			{
				now: t,
				thresholdBytesPerDay: settings.ioThresholdBytesPerDay,
				factor: settings.ioFactor,
				freeDiskBytes: disk?.availBytes ?? null
			}
		);
	}

	const windowAt = (t: number) => ({ sinceMs: t - WINDOW_MS, edgeMs: t - DAY_MS, toMs: t });

	async function build(): Promise<ResourcesReport> {
		const t = now();
		const containers = await containersNow();
		const { avail, running, byKey, latest } = containers;
		const since = t - WINDOW_MS;
		// the history's statements one after another (SQLite answers on this thread: side by side
		// they would only share its turns), the image list from Docker meanwhile
		const history = (async () => {
			const { memory: spans, writes } = await historyOf(db, hostId, hours, windowAt(t));
			const memory = await memorySummaries(db, hostId, spans, windowAt(t));
			return { memory, writes, recorded: await recordedOoms(db, hostId, since) };
		})();
		const [{ memory, writes, recorded }, images] = await Promise.all([
			history,
			deps.docker.api.listImages().then(
				(l) => ({ ok: true as const, list: l }),
				(err: unknown) => ({
					ok: false as const,
					error: err instanceof Error ? err.message : String(err)
				})
			)
		]);
		try {
			layout ??= detectLayout(deps.cgroupRoot);
		} catch {
			layout = null;
		}
		const advice = adviseMemory(
			[...byKey].map(([key, c]) => {
				const s = latest.get(c.id);
				const cg =
					c.state === 'running' && layout ? readCgroupOomKills(layout, c.id, c.cgroupParent) : null;
				return {
					name: c.name,
					key,
					stack: c.stack,
					service: c.service,
					categorised: categorise({ labels: c.labels, image: c.image, name: c.service ?? c.name }),
					memLimitBytes: c.memoryLimitBytes,
					memUsedBytes: s ? s.memUsedBytes : null,
					memory: memory.get(key) ?? { peakBytes: null, medianBytes: null, historyMs: 0 },
					oomKills: oomKillsOf(c, recorded, cg, t)
				};
			}),
			{ now: t, headroom: settings.headroom }
		);
		const disk = deps.freeDisk();
		const io = ioOf(containers, writes, t, disk);
		const freshness = imageFreshness({
			containers: running,
			images: images.ok ? images.list : [],
			maxAgeDays: settings.imageMaxAgeDays,
			now: t
		});
		const cost = costByGroup(
			running.map((c) => ({
				name: c.name,
				stack: c.stack,
				labels: c.labels,
				memUsedBytes: latest.get(c.id)?.memUsedBytes ?? null,
				cpuPct: latest.get(c.id)?.cpuPct ?? null
			}))
		);
		return {
			at: t,
			docker:
				avail.state === 'ok'
					? { state: 'ok', reason: null, listAt: avail.at }
					: { state: 'unavailable', reason: avail.reason, listAt: avail.lastGoodAt },
			advice,
			io,
			freshness,
			imagesError: images.ok ? null : images.error,
			cost,
			settings: { ...settings, freeDiskMount: disk?.mount ?? null }
		};
	}

	async function report({ fresh = false }: { fresh?: boolean } = {}): Promise<ResourcesReport> {
		const t = now();
		if (!fresh && cache && t - cache.at < cacheMs) return cache.report;
		const p = build();
		cache = { at: t, report: p };
		p.catch((err) => {
			log.error('resources report failed', { err });
			if (cache?.report === p) cache = null;
		});
		return p;
	}

	let ioCache: { at: number; io: Promise<Pick<ResourcesReport, 'at' | 'io'>> } | null = null;
	/**
	 * The report's io part alone (the alerts engine's write figures): the same rows, without the
	 * memory medians, the image list and the OOM record it does not read. A full report younger
	 * than the cache answers it.
	 */
	async function io(): Promise<Pick<ResourcesReport, 'at' | 'io'>> {
		const t = now();
		if (cache && t - cache.at < cacheMs) return cache.report;
		if (ioCache && t - ioCache.at < cacheMs) return ioCache.io;
		const p = (async () => {
			const c = await containersNow();
			const { writes } = await historyOf(db, hostId, hours, windowAt(t));
			return { at: t, io: ioOf(c, writes, t) };
		})();
		ioCache = { at: t, io: p };
		p.catch((err) => {
			log.error('resources io report failed', { err });
			if (ioCache?.io === p) ioCache = null;
		});
		return p;
	}

	return {
		report,
		io,
		/** The compose override for every project, or one (`stack`), as YAML text. */
		async overrideYaml({ stack }: { stack?: string } = {}): Promise<string> {
			const r = await report();
			const rows = stack === undefined ? r.advice : r.advice.filter((a) => a.stack === stack);
			// loaded on demand: `yaml` costs ~3 MiB RSS in a server that may never be asked for a file
			const { overrideYaml } = await import('./override');
			return overrideYaml(rows, { generatedAt: r.at });
		},
		/**
		 * I/O anomalies for the alerts engine (issue: alerts): every container whose bytes in a
		 * UTC day or the last 24 h passed VMW_IO_WRITE_THRESHOLD_GB, or whose day passed
		 * VMW_TRENDS_WRITE_SPIKE_FACTOR × its own daily median, with a ready message.
		 */
		async ioAnomalies(): Promise<IoAnomaly[]> {
			return (await io()).io.anomalies;
		}
	};
}

export type Resources = ReturnType<typeof createResources>;
export type { IoAnomaly };
