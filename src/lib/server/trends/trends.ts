// trends.series: one catalog entry over one range, from Prometheus when VMW_PROMETHEUS_URL is
// set, else from the app's own SQLite history (source 'local'). Same response shape either way.
// Several VMs (issue 15, decision 0013): one PromQL store holds every host's series under a host
// label (VMW_TRENDS_HOST_LABEL, host_id by default); any host's trend is answered here from it.
import type { HistoryPoint, Thresholds } from '$lib/health';
import {
	TREND_RANGE_MS,
	type DeployMarker,
	type TrendAnswer,
	type TrendData,
	type TrendId,
	type TrendLine,
	type TrendRange
} from '$lib/trends';
import { CATALOG, type Selectors } from '../prometheus/catalog';
import { chooseStep, type PromClient } from '../prometheus/client';
import { projectDisk } from '../prometheus/projection';
import { foldSmallWriters } from './writers';
import { hostMatcher } from '../prometheus/labels';
import { localLines } from './local';
import { writeSpikes } from './spikes';
import { yieldToLoop } from '../db/history-buckets';

/** Points per series the charts ask for (Prometheus allows 11,000; a phone draws far fewer). */
export const CHART_POINTS = 3000;
/** The local history is 1-minute points: no step below that. */
const MIN_STEP_SEC = 60;

/** A range and the step its points are averaged to (the store may average them itself: decision 0020). */
export interface StepRange {
	fromMs: number;
	toMs: number;
	stepMs: number;
}

export interface LocalHistory {
	/** 1-minute points (kept `rawRetentionMs`), averaged per step or as they are */
	minutes(range: StepRange): Promise<HistoryPoint[]>;
	/** 15-minute rollups, averaged per step or as they are */
	rollups(range: StepRange): Promise<HistoryPoint[]>;
	rawRetentionMs: number;
	/** the stats collector's 1-minute per-container write rates (kept `rawRetentionMs`) as lines of per-step means, if any */
	containerWrites?(range: StepRange): Promise<TrendLine[]>;
}

export interface TrendsOptions {
	prom: PromClient | null;
	/** per-job selectors; `hostId` is this instance's own host (VMW_HOST_ID) */
	selectors: Selectors;
	/** the label naming the host of each series in the shared store (VMW_TRENDS_HOST_LABEL) */
	hostLabel?: string;
	thresholds: Thresholds;
	local: LocalHistory;
	spikeFactor: number;
	cpuCount?: () => number | undefined;
	deploys?: (range: { fromMs: number; toMs: number }) => Promise<DeployMarker[]>;
	now?: () => number;
}

export function createTrends({
	prom,
	selectors,
	hostLabel = 'host_id',
	thresholds,
	local,
	spikeFactor,
	cpuCount = () => undefined,
	deploys,
	now = Date.now
}: TrendsOptions) {
	/** Last good data per host, metric and range, for the unavailable answer. */
	const lastGood = new Map<string, { data: TrendData; at: number }>();
	const ownHost = selectors.hostId;
	// checked at start-up, not at the first query: a bad label name is a config error
	hostMatcher({ label: hostLabel, hostId: ownHost, own: true });

	/**
	 * One host's view of the shared store: its own host matches its id or no label at all (a
	 * single-VM Prometheus without host labels keeps working); any other host exactly its id.
	 */
	function scope(hostId: string): { sel: Selectors; own: boolean } {
		const own = hostId === ownHost;
		return {
			own,
			sel: { ...selectors, hostId, host: hostMatcher({ label: hostLabel, hostId, own }) }
		};
	}

	function finish(data: TrendData): TrendData {
		if (data.metric === 'disk') {
			const targets = [...new Set([thresholds.diskWarnPct, thresholds.diskCritPct, 100])].sort(
				(a, b) => a - b
			);
			data.projections = Object.fromEntries(
				data.series.map((s) => [s.key, projectDisk({ points: s.points, targets })])
			);
		}
		if (data.metric === 'io') {
			data.spikeFactor = spikeFactor;
			// spikes on every container, then the lightest writers drawn as one line
			data.spikes = writeSpikes({
				series: data.series,
				stepSec: data.stepSec,
				factor: spikeFactor
			});
			data.series = foldSmallWriters(data.series);
		}
		return data;
	}

	function frame(metric: TrendId, range: TrendRange) {
		const toMs = now();
		const fromMs = toMs - TREND_RANGE_MS[range];
		const aligned = chooseStep({
			startSec: fromMs / 1000,
			endSec: toMs / 1000,
			maxPoints: CHART_POINTS,
			minStepSec: MIN_STEP_SEC
		});
		const def = CATALOG[metric];
		return { def, fromMs, toMs, ...aligned };
	}

	async function withDeploys(data: TrendData, own = true): Promise<TrendData> {
		// deploy markers come from this instance's own Docker events: another host's are not ours to show
		if (!own) {
			data.deploys = [];
			return data;
		}
		if (!deploys) return data;
		try {
			data.deploys = await deploys({ fromMs: data.fromMs, toMs: data.toMs });
		} catch {
			data.deploys = [];
		}
		return data;
	}

	async function fromLocal(metric: TrendId, range: TrendRange): Promise<TrendAnswer> {
		// the local history is the own host's only (the other hosts' are on their VMs)
		const { def, fromMs, toMs, stepSec } = frame(metric, range);
		const useRollups = toMs - fromMs > local.rawRetentionMs;
		const fromCollector = metric === 'io' && !!local.containerWrites;
		// 15-minute rollups cannot be drawn finer than 15 minutes; container history has no rollups
		const step = useRollups && !fromCollector ? Math.max(stepSec, 900) : stepSec;
		const stepRange = { fromMs, toMs, stepMs: step * 1000 };
		let points: HistoryPoint[] = [];
		let writes: TrendLine[] = [];
		try {
			if (fromCollector) writes = await local.containerWrites!(stepRange);
			else points = useRollups ? await local.rollups(stepRange) : await local.minutes(stepRange);
		} catch (err) {
			const prev = lastGood.get(`${ownHost}|${metric}|${range}`);
			return {
				state: 'unavailable',
				reason: `local history unreadable: ${(err as Error)?.message ?? err}`,
				lastGood: prev?.data ?? null,
				lastGoodAt: prev?.at ?? null,
				at: now()
			};
		}
		// the lines, then the projection or the spikes, each in a turn of the event loop of its own:
		// over a week of 40 containers (or of a disk's 5-minute means) each is tens of milliseconds
		await yieldToLoop();
		const { series, noData } = fromCollector
			? { series: writes, noData: writes.length ? null : 'no container history for this range yet' }
			: localLines(metric, points, step);
		await yieldToLoop();
		const data = finish({
			metric,
			title: def.title,
			unit: def.unit,
			range,
			fromMs,
			toMs,
			stepSec: step,
			source: 'local',
			resolution: fromCollector
				? '1-minute container history'
				: useRollups
					? '15-minute rollups'
					: '1-minute history',
			series,
			thresholds: def.thresholds(thresholds, cpuCount()),
			noData
		});
		const at = now();
		lastGood.set(`${ownHost}|${metric}|${range}`, { data, at });
		return { state: 'ok', data: await withDeploys(data), at };
	}

	async function fromPrometheus(
		client: PromClient,
		metric: TrendId,
		range: TrendRange,
		hostId: string
	): Promise<TrendAnswer> {
		const { def, fromMs, toMs, stepSec } = frame(metric, range);
		const { sel, own } = scope(hostId);
		const key = `${hostId}|${metric}|${range}`;
		const series: TrendLine[] = [];
		const warnings: string[] = [];
		const missing: string[] = [];
		// the queries of one entry run in parallel; a query's alternatives in order (first with data wins)
		const results = await Promise.all(
			def.queries(sel, stepSec).map(async (q) => {
				for (const alt of q.alternatives) {
					const a = await client.queryRange(alt.expr, { startMs: fromMs, endMs: toMs, stepSec });
					if (a.state === 'unavailable') return { q, failed: a };
					if (a.state === 'partial') warnings.push(...a.warnings);
					const lines = a.data.series.filter((s) => s.points.length > 0);
					if (lines.length) return { q, lines };
				}
				return { q, lines: [] };
			})
		);
		for (const r of results) {
			if ('failed' in r && r.failed) {
				const prev = lastGood.get(key);
				return {
					state: 'unavailable',
					reason: r.failed.reason,
					lastGood: prev?.data ?? null,
					lastGoodAt: prev?.at ?? r.failed.lastGoodAt,
					at: r.failed.at
				};
			}
			const { q } = r;
			const lines = 'lines' in r ? r.lines! : [];
			if (lines.length === 0) missing.push(q.alternatives.map((a) => a.metric).join(' or '));
			for (const s of lines) {
				const key = q.keyLabel ? (s.metric[q.keyLabel] ?? '') : q.key;
				series.push({ key, label: q.keyLabel ? key : q.label, points: s.points });
			}
		}
		series.sort((a, b) => a.key.localeCompare(b.key));
		const data = finish({
			metric,
			title: def.title,
			unit: def.unit,
			range,
			fromMs,
			toMs,
			stepSec,
			source: 'prometheus',
			resolution: `PromQL step ${stepSec} s`,
			series,
			// thresholds are this host's config; another host's CPU count is not known here (no load lines)
			thresholds: def.thresholds(thresholds, own ? cpuCount() : undefined),
			noData: series.length
				? null
				: `no data in Prometheus for ${missing.join('; ')} matching ${own ? "this host's selector" : `host ${hostLabel}="${hostId}"`}`
		});
		const at = now();
		await withDeploys(data, own);
		if (warnings.length)
			return {
				state: 'partial',
				data,
				reason: [...new Set(warnings)].join('; '),
				at,
				lastGoodAt: lastGood.get(key)?.at ?? null
			};
		lastGood.set(key, { data, at });
		return { state: 'ok', data, at };
	}

	return {
		source: prom ? ('prometheus' as const) : ('local' as const),
		hostLabel,
		/**
		 * `hostId`: any host whose series the store holds (default: this instance's own). The
		 * caller decides which hosts exist (the router: own or registered); this only filters.
		 */
		async series({
			metric,
			range,
			hostId = ownHost
		}: {
			metric: TrendId;
			range: TrendRange;
			hostId?: string;
		}): Promise<TrendAnswer> {
			if (prom) return fromPrometheus(prom, metric, range, hostId);
			if (hostId === ownHost) return fromLocal(metric, range);
			return {
				state: 'unavailable',
				reason: `trends of host "${hostId}" need a PromQL store holding every host's series (set VMW_PROMETHEUS_URL; see docs/multi-vm-trends.md): without it only this host's own history is here`,
				lastGood: null,
				lastGoodAt: null,
				at: now()
			};
		}
	};
}

export type Trends = ReturnType<typeof createTrends>;
