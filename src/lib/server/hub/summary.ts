// `hub.summary`: one VM at a glance, from what this instance already computes (the health
// snapshot, the score service, the Docker adapter, the maintenance status, the disk trend).
// Nothing is re-derived here: each part is read through its own domain function and turned
// into the overview's shape (HostSummary). A part that cannot answer becomes an UNKNOWN
// dimension with its reason; the summary itself always answers. Decision 0013.
import type { HealthSnapshot, Status } from '$lib/health';
import type { ScoreReport } from '$lib/score';
import type { TrendAnswer } from '$lib/trends';
import { formatBytes, formatPct } from '$lib/format';
import type { Availability } from '../availability';
import { reasonOf } from '../availability';
import type { ContainerInfo } from '../docker/model';
import { failingStreakStart, isUnhealthy } from '../docker/health';
import { worstStatus } from '../host/classify';
import type { CronStatus } from '../maintenance/status';
import type { HostSummary } from './types';

export interface SummarySources {
	hostId: string;
	snapshot(): HealthSnapshot;
	/** the latest score (may compute once); null when it cannot be had */
	score(): Promise<ScoreReport | null>;
	containers(): Availability<ContainerInfo[]>;
	/** the maintenance status (cron jobs, cleanup record) */
	cron(): Promise<CronStatus>;
	/** the 7-day disk trend, cached by the caller (the projection moves slowly); null when none */
	diskTrend(): Promise<TrendAnswer | null>;
	now?: () => number;
}

/** The score's band, as the overview gauge colours it (ScoreGauge: ≥ 80 ok, ≥ 60 warn, else crit). */
export function scoreStatus(total: number | null): Status {
	if (total === null) return 'UNKNOWN';
	return total >= 80 ? 'OK' : total >= 60 ? 'WARN' : 'CRIT';
}

type Dimension = HostSummary['dimensions'][number];

/** disk, load, memory, swap, steal from the health snapshot (its reason when not OK, else the figure). */
export function snapshotDimensions(s: HealthSnapshot): Dimension[] {
	const out: Dimension[] = [];
	const dim = (
		name: string,
		c: { status: Status; reason?: string; ok: boolean; error?: string },
		figure: () => string
	) =>
		out.push({
			name,
			status: c.status,
			detail: c.reason ?? (c.ok ? figure() : `unknown: ${c.error ?? 'no reading'}`)
		});
	if (s.disks.length) {
		// the worst mount speaks for the dimension; every mount's figure is in the detail when all are fine
		const worst = worstStatus(s.disks.map((d) => d.status));
		const bad = s.disks.find((d) => d.status === worst && d.reason);
		const figures = s.disks
			.map((d) =>
				d.ok ? `${d.mount} ${formatPct(d.usedPct)} used` : `${d.mount} unknown: ${d.error}`
			)
			.join(', ');
		out.push({ name: 'disk', status: worst, detail: bad?.reason ?? figures });
	}
	dim('load', s.load, () =>
		s.load.ok
			? `load ${s.load.load1.toFixed(2)} on ${s.load.cpuCount} CPU${s.load.cpuCount === 1 ? '' : 's'}`
			: ''
	);
	dim('memory', s.memory, () =>
		s.memory.ok ? `${formatBytes(s.memory.memAvailableBytes)} available` : ''
	);
	dim('swap', s.swap, () => (s.swap.ok ? `${formatBytes(s.swap.swapUsedBytes)} swap used` : ''));
	dim('steal', s.steal, () =>
		s.steal.ok
			? s.steal.stealPct === null
				? 'steal: measuring'
				: `steal ${formatPct(s.steal.stealPct)}`
			: ''
	);
	return out;
}

/** The containers dimension and the unhealthy list (running containers failing their checks). */
export function containerParts(list: Availability<ContainerInfo[]>): {
	dimension: Dimension;
	unhealthy: HostSummary['unhealthy'];
} {
	if (list.state !== 'ok')
		return {
			dimension: {
				name: 'containers',
				status: 'UNKNOWN',
				detail: `Docker unavailable: ${list.reason}`
			},
			unhealthy: []
		};
	const bad = list.data.filter(isUnhealthy);
	const unhealthy = bad.map((c) => ({
		name: c.name,
		since: failingStreakStart(c.healthLog, c.failingStreak).since
	}));
	const running = list.data.filter((c) => c.state === 'running').length;
	return {
		dimension: bad.length
			? {
					name: 'containers',
					status: 'WARN',
					detail: `${bad.length} unhealthy: ${bad
						.map((c) => c.name)
						.slice(0, 5)
						.join(', ')}${bad.length > 5 ? ', …' : ''}`
				}
			: { name: 'containers', status: 'OK', detail: `${running} running, none unhealthy` },
		unhealthy
	};
}

/** cron: failed or missed jobs warn; a host without scheduled jobs has no cron dimension. */
export function cronParts(status: CronStatus | { error: string }): {
	dimension: Dimension | null;
	lastCleanup: HostSummary['lastCleanup'];
} {
	if ('error' in status)
		return {
			dimension: {
				name: 'cron',
				status: 'UNKNOWN',
				detail: `maintenance status unreadable: ${status.error}`
			},
			lastCleanup: null
		};
	const last = status.lastCleanup;
	const lastCleanup = last
		? {
				at: Date.parse(last.start),
				freedBytes: last.freedBytes ?? 0,
				ok: last.status === 'ok' || last.status === 'held'
			}
		: null;
	const jobs = status.jobs.filter((j) => j.enabled);
	if (!jobs.length) return { dimension: null, lastCleanup };
	const bad = jobs.filter((j) => j.state === 'failed' || j.state === 'missed');
	return {
		dimension: bad.length
			? {
					name: 'cron',
					status: 'WARN',
					detail: bad
						.map((j) => `${j.name} ${j.state}`)
						.slice(0, 5)
						.join(', ')
				}
			: {
					name: 'cron',
					status: 'OK',
					detail: `${jobs.length} job${jobs.length === 1 ? '' : 's'} on schedule`
				},
		lastCleanup
	};
}

/** The fullest mount's projection from the disk trend: days until 100 %, null when not growing. */
export function diskProjectionOf(
	s: HealthSnapshot,
	trend: TrendAnswer | null,
	now: number
): HostSummary['diskProjection'] {
	const fullest = s.disks
		.flatMap((d) => (d.ok ? [{ mount: d.mount, usedPct: d.usedPct }] : []))
		.sort((a, b) => b.usedPct - a.usedPct)[0];
	if (!fullest) return null;
	const data = trend && trend.state !== 'unavailable' ? trend.data : null;
	const projection = data?.projections?.[fullest.mount];
	const full =
		projection?.status === 'growing' ? projection.targets.find((t) => t.pct === 100) : undefined;
	const days = full?.atMs != null ? Math.max(0, (full.atMs - now) / 86_400_000) : null;
	return {
		mount: fullest.mount,
		usedPct: fullest.usedPct,
		daysToFull: days === null ? null : Math.round(days * 10) / 10
	};
}

export async function buildSummary(src: SummarySources): Promise<HostSummary> {
	const now = (src.now ?? Date.now)();
	const snap = src.snapshot();
	const [score, cron, trend] = await Promise.all([
		src.score().catch(() => null),
		src.cron().catch((err: unknown) => ({ error: reasonOf(err) })),
		src.diskTrend().catch(() => null)
	]);
	const containers = containerParts(src.containers());
	const cronPart = cronParts(cron);
	const dimensions = [
		...snapshotDimensions(snap),
		containers.dimension,
		...(cronPart.dimension ? [cronPart.dimension] : [])
	];
	const scorePart: HostSummary['score'] = score
		? score.total === null
			? null
			: {
					value: score.total,
					status: scoreStatus(score.total),
					// the dimensions that lost points, then why the total is scaled
					reasons: [
						...score.dimensions
							.filter((d) => d.state === 'known' && d.points !== null && d.points < d.max)
							.map((d) => `${d.title}: ${d.summary}`),
						...(score.note ? [score.note] : [])
					]
				}
		: null;
	return {
		hostId: src.hostId,
		at: now,
		score: scorePart,
		dimensions,
		unhealthy: containers.unhealthy,
		diskProjection: diskProjectionOf(snap, trend, now),
		lastCleanup: cronPart.lastCleanup,
		status: worstStatus([
			...(scorePart ? [scorePart.status] : []),
			...dimensions.map((d) => d.status)
		])
	};
}

/**
 * This instance's summary source over its services. The disk trend (a 7-day read) is cached for
 * `trendTtlMs`: the projection moves slowly, and every hub refresh asks for a summary.
 */
export function createLocalSummary(
	deps: {
		hostId: string;
		snapshot(): HealthSnapshot;
		score: { latest(): ScoreReport | null; current(): Promise<ScoreReport> };
		containers(): Availability<ContainerInfo[]>;
		cron(): Promise<CronStatus>;
		diskTrend(): Promise<TrendAnswer>;
		now?: () => number;
	},
	trendTtlMs = 5 * 60_000
): () => Promise<HostSummary> {
	const now = deps.now ?? Date.now;
	let trend: { at: number; answer: Promise<TrendAnswer | null> } | null = null;
	return () =>
		buildSummary({
			hostId: deps.hostId,
			snapshot: deps.snapshot,
			score: () => deps.score.current(), // recomputed when older than 30 s (no background refresh without subscribers)
			containers: deps.containers,
			cron: deps.cron,
			diskTrend() {
				if (!trend || now() - trend.at >= trendTtlMs)
					trend = { at: now(), answer: deps.diskTrend().catch(() => null) };
				return trend.answer;
			},
			now
		});
}
