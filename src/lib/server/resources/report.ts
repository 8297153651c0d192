// The resources report: joins the Docker adapter's list, the collector's latest samples, the
// 7-day container_history (aggregated in SQL: per-key memory peak/median/span and hourly
// write bytes), OOM records and free disk into the pure advice / io / freshness / cost
// modules. Read-only: nothing is applied. Cached for 30 s (the history moves per minute).
import { and, asc, eq, gte, isNotNull, sql } from 'drizzle-orm';
import type { HostSample } from '$lib/health';
import type { Availability } from '../availability';
import type { Db } from '../db';
import { containerHistory } from '../db/schema';
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

async function memorySummaries(
	db: Db,
	hostId: string,
	sinceMs: number
): Promise<Map<string, MemorySummary>> {
	const rows = await db
		.select({
			key: containerHistory.key,
			peak: sql<number>`max(coalesce(${containerHistory.memPeakBytes}, ${containerHistory.memUsedBytes}))`,
			first: sql<number>`min(${containerHistory.ts})`,
			last: sql<number>`max(${containerHistory.ts})`,
			n: sql<number>`count(*)`
		})
		.from(containerHistory)
		.where(
			and(
				eq(containerHistory.hostId, hostId),
				gte(containerHistory.ts, sinceMs),
				isNotNull(containerHistory.memUsedBytes)
			)
		)
		.groupBy(containerHistory.key);
	const out = new Map<string, MemorySummary>();
	for (const r of rows) {
		// the median: the middle one or two of that key's means (SQLite has no median())
		const n = Number(r.n);
		const mid = await db
			.select({ v: containerHistory.memUsedBytes })
			.from(containerHistory)
			.where(
				and(
					eq(containerHistory.hostId, hostId),
					eq(containerHistory.key, r.key),
					gte(containerHistory.ts, sinceMs),
					isNotNull(containerHistory.memUsedBytes)
				)
			)
			.orderBy(asc(containerHistory.memUsedBytes))
			.limit(n % 2 ? 1 : 2)
			.offset(Math.floor((n - 1) / 2));
		const vals = mid.map((m) => Number(m.v));
		out.set(r.key, {
			peakBytes: Number(r.peak),
			medianBytes: vals.reduce((a, b) => a + b, 0) / vals.length,
			historyMs: Number(r.last) - Number(r.first) + 60_000
		});
	}
	return out;
}

/**
 * Write bytes per key and hour (the minutes' mean rate × 60 s, summed). The hour holding the
 * "last 24 h" edge is split at it, each part dated by its first minute, so the last-24 h sum
 * stays exact to the minute.
 */
async function hourlyWrites(
	db: Db,
	hostId: string,
	sinceMs: number,
	edgeMs: number
): Promise<Map<string, WritePoint[]>> {
	// a literal: a bound number may arrive as REAL, and REAL division would group by minute
	const hour = sql<number>`(${containerHistory.ts} / ${sql.raw(String(HOUR_MS))})`;
	const side = sql<number>`(${containerHistory.ts} >= ${edgeMs})`;
	const rows = await db
		.select({
			key: containerHistory.key,
			first: sql<number>`min(${containerHistory.ts})`,
			bytes: sql<number>`sum(${containerHistory.writeBps} * 60)`
		})
		.from(containerHistory)
		.where(
			and(
				eq(containerHistory.hostId, hostId),
				gte(containerHistory.ts, sinceMs),
				isNotNull(containerHistory.writeBps)
			)
		)
		.groupBy(containerHistory.key, hour, side);
	const out = new Map<string, WritePoint[]>();
	for (const r of rows) {
		const list = out.get(r.key) ?? [];
		// the bytes of the bucket, as a rate over a nominal hour
		list.push({ ts: Number(r.first), writeBps: Number(r.bytes) / 3600, seconds: 3600 });
		out.set(r.key, list);
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

	function listOf(a: Availability<ContainerInfo[]>): ContainerInfo[] {
		return a.state === 'ok' ? a.data : (a.lastGood ?? []);
	}

	async function build(): Promise<ResourcesReport> {
		const t = now();
		// a report asked for before the adapter's first refresh (the alerts engine at start-up)
		// waits for it: cached for 30 s, it would otherwise show "No containers" that long
		const avail =
			deps.docker.status().refreshes === 0 ? await deps.docker.refresh() : deps.docker.containers();
		const list = listOf(avail);
		const running = list.filter((c) => c.state === 'running');
		const latest = deps.stats.latest();
		const since = t - WINDOW_MS;
		const [memory, writes, recorded, images] = await Promise.all([
			memorySummaries(db, hostId, since),
			hourlyWrites(db, hostId, since, t - DAY_MS),
			recordedOoms(db, hostId, since),
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
		// one advice row per history key (scaled replicas share a service's limit): the first running one
		const byKey = new Map<string, ContainerInfo>();
		for (const c of [...running, ...list.filter((c) => c.state !== 'running')])
			if (!byKey.has(historyKeyOf(c))) byKey.set(historyKeyOf(c), c);
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
		const io = ioReport(
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

	return {
		report,
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
			return (await report()).io.anomalies;
		}
	};
}

export type Resources = ReturnType<typeof createResources>;
export type { IoAnomaly };
