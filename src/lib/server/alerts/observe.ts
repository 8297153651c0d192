// Builds the rules' observation from the domains' own functions. Unknown stays null (a source
// down gives no reading, so an episode neither raises nor clears on missing data).
import type { HostSample } from '$lib/health';
import type { Availability } from '../availability';
import type { ContainerInfo } from '../docker/model';
import type { CronStatus } from '../maintenance/status';
import type { Trends } from '../trends/trends';
import { projectDisk } from '../prometheus/projection';
import type { ResourcesReport } from '../resources/report';
import type { Observation } from './rules';
import type { HostMemory, MemoryTrace } from '../memory/attribution';

const DAY_MS = 86_400_000;

/** The last 24 h of writes per container, from the resources report's io rows (the threshold rule). */
export function ioWritesOf(
	r: Pick<ResourcesReport, 'at' | 'io'>
): NonNullable<Observation['ioWrites']> {
	return {
		thresholdBytesPerDay: r.io.thresholdBytesPerDay,
		freeDiskBytes: r.io.freeDiskBytes,
		containers: r.io.rows
			.filter((x) => x.bytesLast24h > 0)
			.map((x) => ({
				name: x.name,
				bytes: x.bytesLast24h,
				spanMs: x.last24hFromMs === null ? DAY_MS : Math.min(DAY_MS, r.at - x.last24hFromMs)
			}))
	};
}

export interface ObserveSources {
	sample: () => HostSample | null;
	/** the sample counts only if it is this fresh */
	maxSampleAgeMs: number;
	containers: () => Availability<ContainerInfo[]>;
	/** whether Docker has been asked at least once (before that its state is unknown, not down) */
	dockerAsked: () => boolean;
	cron: () => Promise<CronStatus>;
	trends: Pick<Trends, 'series'>;
	diskFillPct: number;
	/** null when no Prometheus is configured */
	prometheusUp: (() => Promise<boolean>) | null;
	/** the resources report (per-container writes against VMW_IO_WRITE_THRESHOLD_GB); absent = no reading */
	resources?: { report(): Promise<Pick<ResourcesReport, 'at' | 'io'>> };
	/** what grew while memory pressure rose, ending at `current` (the fresh sample's figures) */
	memoryTrace?: (now: number, current: HostMemory | undefined) => Promise<MemoryTrace | null>;
	/** how often the 7-day disk projection and the write figures are recomputed */
	projectionEveryMs?: number;
}

export function createObserver(src: ObserveSources) {
	let projection: { at: number; value: Observation['diskFillDays'] } | null = null;
	let io: { at: number; value: Observation['ioSpikes'] } | null = null;
	let writes: { at: number; value: Observation['ioWrites'] } | null = null;

	async function ioWrites(now: number): Promise<Observation['ioWrites']> {
		if (!src.resources) return undefined;
		if (writes && now - writes.at < every) return writes.value;
		const value = ioWritesOf(await src.resources.report());
		writes = { at: now, value };
		return value;
	}

	/** Today's write spikes (UTC day) from the trends' io series. */
	async function ioSpikes(now: number): Promise<Observation['ioSpikes']> {
		if (io && now - io.at < every) return io.value;
		const a = await src.trends.series({ metric: 'io', range: '7d' });
		if (a.state === 'unavailable') return null;
		const today = Math.floor(now / 86_400_000) * 86_400_000;
		const value = (a.data.spikes ?? [])
			.filter((s) => s.dayStartMs >= today)
			.map((s) => ({ container: s.series, bytes: s.bytes, ratio: s.ratio }));
		io = { at: now, value };
		return value;
	}
	const every = src.projectionEveryMs ?? 15 * 60_000;

	async function diskFill(now: number): Promise<Observation['diskFillDays']> {
		if (projection && now - projection.at < every) return projection.value;
		const a = await src.trends.series({ metric: 'disk', range: '7d' });
		if (a.state === 'unavailable') return projection?.value ?? [];
		const value = a.data.series.map((s) => {
			const p = projectDisk({ points: s.points, targets: [src.diskFillPct] });
			return { mount: s.key, days: p.status === 'growing' ? (p.targets[0]?.days ?? null) : null };
		});
		projection = { at: now, value };
		return value;
	}

	return async function observe(now: number): Promise<Observation> {
		const s = src.sample();
		const fresh = s && now - s.ts <= src.maxSampleAgeMs ? s : null;
		const mem = fresh?.memory.ok ? fresh.memory : null;
		const containers = src.containers();
		const current =
			mem && fresh
				? {
						at: fresh.ts,
						memAvailableBytes: mem.memAvailableBytes,
						swapUsedBytes: mem.swapUsedBytes,
						swapCachedBytes: mem.swapCachedBytes
					}
				: undefined;
		const [cron, fill, promUp, spikes, written, memoryTrace] = await Promise.all([
			src.cron().catch(() => null),
			diskFill(now).catch(() => [] as Observation['diskFillDays']),
			src.prometheusUp ? src.prometheusUp().catch(() => false) : Promise.resolve(null),
			ioSpikes(now).catch(() => null),
			ioWrites(now).catch(() => null),
			src.memoryTrace ? src.memoryTrace(now, current).catch(() => null) : Promise.resolve(undefined)
		]);
		const lastReal = cron?.recentCleanups.find((r) => !r.dryRun) ?? null;
		return {
			at: now,
			stealPct: fresh?.cpu.ok ? fresh.cpu.stealPct : null,
			swapUsedBytes: mem ? mem.swapUsedBytes : null,
			swapCachedBytes: mem ? mem.swapCachedBytes : null,
			memAvailableBytes: mem ? mem.memAvailableBytes : null,
			disks: (fresh?.disks ?? []).flatMap((d) =>
				d.figures.ok ? [{ mount: d.mount, usedPct: d.figures.usedPct }] : []
			),
			diskFillDays: fill,
			unhealthy:
				containers.state === 'ok'
					? containers.data.filter((c) => c.health === 'unhealthy').map((c) => c.name)
					: null,
			dockerUp: containers.state === 'ok' ? true : src.dockerAsked() ? false : null,
			prometheusUp: promUp,
			cronJobs: cron
				? cron.jobs
						.filter((j) => j.enabled)
						.map((j) => ({ name: j.name, state: j.state, reason: j.reason }))
				: null,
			lastCleanup: lastReal
				? { id: lastReal.id, start: lastReal.start, status: lastReal.status }
				: null,
			ioSpikes: spikes,
			ioWrites: written,
			memoryTrace
		};
	};
}
