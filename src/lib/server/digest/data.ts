// Gathers one week's digest figures from the domains that own them: trends (Prometheus when
// configured, else the local history), the Docker adapter, cron status and the Ollama usage
// record. Every source may be down: its figure becomes "no data", the digest still goes out.
import type { TrendAnswer, TrendData } from '$lib/trends';
import type { Trends } from '../trends/trends';
import type { CronStatus } from '../maintenance/status';
import type { Availability } from '../availability';
import type { ContainerInfo } from '../docker/model';
import type { ModelSessions } from '../ollama/usage';
import type { DigestData } from './compose';
import { localDate } from './schedule';
import { clock, topGrower, type MemoryTrace } from '../memory/attribution';

export const WEEK_MS = 7 * 86_400_000;

export interface DigestSources {
	host: string;
	tz: string;
	/** the mount the digest reports (the first of VMW_DISK_MOUNTS) */
	mount: string;
	trends: Pick<Trends, 'series' | 'source'>;
	containers: () => Availability<ContainerInfo[]>;
	cron: () => Promise<CronStatus>;
	sessions: (w: { fromMs: number; toMs: number }) => Promise<ModelSessions[]>;
	/** the week's swap peak and what grew on the way to it (memory/trace.ts traceSwapPeak) */
	swapPeak?: (w: {
		fromMs: number;
		toMs: number;
	}) => Promise<{ peakAt: number; trace: MemoryTrace | null } | null>;
}

const dataOf = (a: TrendAnswer): TrendData | null => (a.state === 'unavailable' ? null : a.data);
const pointsOf = (d: TrendData | null, key: string) =>
	d?.series.find((s) => s.key === key)?.points ?? [];
const mean = (p: [number, number][]) =>
	p.length ? p.reduce((s, [, v]) => s + v, 0) / p.length : null;
const peak = (p: [number, number][]) => (p.length ? Math.max(...p.map(([, v]) => v)) : null);

export async function gatherDigest(src: DigestSources, now: number): Promise<DigestData> {
	const fromMs = now - WEEK_MS;
	const [steal, memory, disk, cron, sessions, swapPeak] = await Promise.all([
		src.trends.series({ metric: 'steal', range: '7d' }),
		src.trends.series({ metric: 'memory', range: '7d' }),
		src.trends.series({ metric: 'disk', range: '7d' }),
		src.cron().catch(() => null),
		src.sessions({ fromMs, toMs: now }).catch(() => [] as ModelSessions[]),
		src.swapPeak ? src.swapPeak({ fromMs, toMs: now }).catch(() => null) : Promise.resolve(null)
	]);
	const grower = swapPeak?.trace ? topGrower(swapPeak.trace, src.tz) : null;
	const weekday = swapPeak
		? new Intl.DateTimeFormat('en-GB', { weekday: 'short', timeZone: src.tz }).format(
				swapPeak.peakAt
			)
		: '';
	const down = [steal, memory, disk]
		.filter((a) => a.state === 'unavailable')
		.map((a) => (a.state === 'unavailable' ? a.reason : ''));
	const diskPoints = pointsOf(dataOf(disk), src.mount);
	const containers = src.containers();
	const week = (cron?.recentCleanups ?? []).filter(
		(r) =>
			!r.dryRun &&
			Date.parse(r.start) >= fromMs &&
			Date.parse(r.start) < now &&
			(r.status === 'ok' || r.status === 'partial')
	);
	const count = (mode: string) => week.filter((r) => r.mode === mode).length;
	const nextFull = cron?.jobs
		.filter((j) => j.cleanupMode === 'full' && j.enabled && j.nextRun)
		.map((j) => Date.parse(j.nextRun!))
		.sort((a, b) => a - b)[0];
	const source = src.trends.source === 'prometheus' ? 'Prometheus' : 'local history';
	return {
		host: src.host,
		weekEnding: localDate(now, src.tz),
		stealAvgPct: mean(pointsOf(dataOf(steal), 'steal')),
		diskUsedPct: diskPoints.length ? diskPoints[diskPoints.length - 1][1] : null,
		freedBytes: week.reduce((s, r) => s + (r.freedBytes ?? 0), 0),
		memAvailableAvgBytes: mean(pointsOf(dataOf(memory), 'available')),
		swapPeakBytes: peak(pointsOf(dataOf(memory), 'swap')),
		swapTopGrower:
			grower && swapPeak ? `${grower} (peak ${weekday} ${clock(swapPeak.peakAt, src.tz)})` : null,
		unhealthy:
			containers.state === 'ok'
				? containers.data
						.filter((c) => c.health === 'unhealthy')
						.map((c) => c.name)
						.sort()
				: null,
		llms: sessions.map((s) => ({ model: s.model, sessions: s.sessions })),
		cleanups: { standard: count('standard'), weekly: count('weekly'), full: count('full') },
		nextFull: nextFull === undefined ? null : localDate(nextFull, src.tz),
		cronProblems: (cron?.jobs ?? [])
			.filter((j) => j.state === 'failed' || j.state === 'missed')
			.map((j) => j.name),
		source: down.length
			? `${source} (partly unavailable: ${[...new Set(down)].join('; ').slice(0, 200)})`
			: source
	};
}
