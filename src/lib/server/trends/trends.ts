// trends.series: one catalog entry over one range, from Prometheus when VMW_PROMETHEUS_URL is
// set, else from the app's own SQLite history (source 'local'). Same response shape either way.
import type { HistoryPoint, Thresholds } from '$lib/health';
import { TREND_RANGE_MS, type DeployMarker, type TrendAnswer, type TrendData, type TrendId, type TrendLine, type TrendRange } from '$lib/trends';
import { CATALOG, type Selectors } from '../prometheus/catalog';
import { chooseStep, type PromClient } from '../prometheus/client';
import { projectDisk } from '../prometheus/projection';
import { localLines } from './local';
import { writeSpikes } from './spikes';
import { writeLines } from './local-containers';

/** Points per series the charts ask for (Prometheus allows 11,000; a phone draws far fewer). */
export const CHART_POINTS = 3000;
/** The local history is 1-minute points: no step below that. */
const MIN_STEP_SEC = 60;

export interface LocalHistory {
	/** 1-minute points (kept `rawRetentionMs`) */
	minutes(range: { fromMs: number; toMs: number }): Promise<HistoryPoint[]>;
	/** 15-minute rollups */
	rollups(range: { fromMs: number; toMs: number }): Promise<HistoryPoint[]>;
	rawRetentionMs: number;
	/** the stats collector's 1-minute per-container write rates (kept `rawRetentionMs`), if any */
	containerWrites?(range: { fromMs: number; toMs: number }): Promise<{ key: string; ts: number; writeBps: number | null }[]>;
}

export interface TrendsOptions {
	prom: PromClient | null;
	selectors: Selectors;
	thresholds: Thresholds;
	local: LocalHistory;
	spikeFactor: number;
	cpuCount?: () => number | undefined;
	deploys?: (range: { fromMs: number; toMs: number }) => Promise<DeployMarker[]>;
	now?: () => number;
}

export function createTrends({ prom, selectors, thresholds, local, spikeFactor, cpuCount = () => undefined, deploys, now = Date.now }: TrendsOptions) {
	/** Last good data per metric and range, for the unavailable answer. */
	const lastGood = new Map<string, { data: TrendData; at: number }>();

	function finish(data: TrendData): TrendData {
		if (data.metric === 'disk') {
			const targets = [...new Set([thresholds.diskWarnPct, thresholds.diskCritPct, 100])].sort((a, b) => a - b);
			data.projections = Object.fromEntries(data.series.map((s) => [s.key, projectDisk({ points: s.points, targets })]));
		}
		if (data.metric === 'io') {
			data.spikeFactor = spikeFactor;
			data.spikes = writeSpikes({ series: data.series, stepSec: data.stepSec, factor: spikeFactor });
		}
		return data;
	}

	function frame(metric: TrendId, range: TrendRange) {
		const toMs = now();
		const fromMs = toMs - TREND_RANGE_MS[range];
		const aligned = chooseStep({ startSec: fromMs / 1000, endSec: toMs / 1000, maxPoints: CHART_POINTS, minStepSec: MIN_STEP_SEC });
		const def = CATALOG[metric];
		return { def, fromMs, toMs, ...aligned };
	}

	async function withDeploys(data: TrendData): Promise<TrendData> {
		if (!deploys) return data;
		try {
			data.deploys = await deploys({ fromMs: data.fromMs, toMs: data.toMs });
		} catch {
			data.deploys = [];
		}
		return data;
	}

	async function fromLocal(metric: TrendId, range: TrendRange): Promise<TrendAnswer> {
		const { def, fromMs, toMs, stepSec } = frame(metric, range);
		const useRollups = toMs - fromMs > local.rawRetentionMs;
		const fromCollector = metric === 'io' && !!local.containerWrites;
		let points: HistoryPoint[] = [];
		let writes: { key: string; ts: number; writeBps: number | null }[] = [];
		try {
			if (fromCollector) writes = await local.containerWrites!({ fromMs, toMs });
			else points = useRollups ? await local.rollups({ fromMs, toMs }) : await local.minutes({ fromMs, toMs });
		} catch (err) {
			const prev = lastGood.get(`${metric}|${range}`);
			return { state: 'unavailable', reason: `local history unreadable: ${(err as Error)?.message ?? err}`, lastGood: prev?.data ?? null, lastGoodAt: prev?.at ?? null, at: now() };
		}
		// 15-minute rollups cannot be drawn finer than 15 minutes; container history has no rollups
		const step = useRollups && !fromCollector ? Math.max(stepSec, 900) : stepSec;
		const { series, noData } = fromCollector
			? ((lines) => ({ series: lines, noData: lines.length ? null : 'no container history for this range yet' }))(writeLines(writes, step))
			: localLines(metric, points, step);
		const data = finish({
			metric,
			title: def.title,
			unit: def.unit,
			range,
			fromMs,
			toMs,
			stepSec: step,
			source: 'local',
			resolution: fromCollector ? '1-minute container history' : useRollups ? '15-minute rollups' : '1-minute history',
			series,
			thresholds: def.thresholds(thresholds, cpuCount()),
			noData
		});
		const at = now();
		lastGood.set(`${metric}|${range}`, { data, at });
		return { state: 'ok', data: await withDeploys(data), at };
	}

	async function fromPrometheus(client: PromClient, metric: TrendId, range: TrendRange): Promise<TrendAnswer> {
		const { def, fromMs, toMs, stepSec } = frame(metric, range);
		const series: TrendLine[] = [];
		const warnings: string[] = [];
		const missing: string[] = [];
		// the queries of one entry run in parallel; a query's alternatives in order (first with data wins)
		const results = await Promise.all(
			def.queries(selectors, stepSec).map(async (q) => {
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
				const prev = lastGood.get(`${metric}|${range}`);
				return { state: 'unavailable', reason: r.failed.reason, lastGood: prev?.data ?? null, lastGoodAt: prev?.at ?? r.failed.lastGoodAt, at: r.failed.at };
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
			thresholds: def.thresholds(thresholds, cpuCount()),
			noData: series.length ? null : `no data in Prometheus for ${missing.join('; ')} matching this host's selector`
		});
		const at = now();
		await withDeploys(data);
		if (warnings.length) return { state: 'partial', data, reason: [...new Set(warnings)].join('; '), at, lastGoodAt: lastGood.get(`${metric}|${range}`)?.at ?? null };
		lastGood.set(`${metric}|${range}`, { data, at });
		return { state: 'ok', data, at };
	}

	return {
		source: prom ? ('prometheus' as const) : ('local' as const),
		series({ metric, range }: { metric: TrendId; range: TrendRange }): Promise<TrendAnswer> {
			return prom ? fromPrometheus(prom, metric, range) : fromLocal(metric, range);
		}
	};
}

export type Trends = ReturnType<typeof createTrends>;
