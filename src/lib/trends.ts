// Types and constants of the trends API, shared by the server and the /trends page (no IO here).

export const TREND_IDS = ['disk', 'memory', 'steal', 'load', 'containers', 'io'] as const;
export type TrendId = (typeof TREND_IDS)[number];

export const TREND_RANGES = ['24h', '7d', '30d'] as const;
export type TrendRange = (typeof TREND_RANGES)[number];
export const TREND_RANGE_MS: Record<TrendRange, number> = {
	'24h': 86_400_000,
	'7d': 7 * 86_400_000,
	'30d': 30 * 86_400_000
};

export type TrendUnit = 'percent' | 'bytes' | 'bytes_per_second' | 'count' | 'load';

export interface TrendThreshold {
	value: number;
	level: 'warn' | 'crit';
	/** the series key it applies to; every series when absent */
	series?: string;
	label: string;
}

export interface TrendLine {
	/** e.g. the mount point, the container name, 'available' */
	key: string;
	label: string;
	/** [epoch ms, value], oldest first, gaps left out */
	points: [number, number][];
}

export interface ProjectionTarget {
	pct: number;
	/** epoch ms the fitted line reaches pct; null when not growing */
	atMs: number | null;
	/** days from the last point; 0 when already at or above */
	days: number | null;
}

export interface Projection {
	/** 'growing' has targets; the others say why not */
	status: 'growing' | 'not-growing' | 'too-little-data';
	/** slope of the least-squares line, percentage points per day */
	slopePctPerDay: number | null;
	r2: number | null;
	/** first point of the fit: the point after the last cleanup step-down, or the first point */
	fitFromMs: number | null;
	fitToMs: number | null;
	fitPoints: number;
	/** epoch ms of the last step-down the fit starts after, if any */
	stepDownAtMs: number | null;
	targets: ProjectionTarget[];
	/** the line to draw, from the fit start to the first target reached (or the last point) */
	line: [number, number][];
}

export interface WriteSpike {
	/** series key (the container) */
	series: string;
	/** UTC midnight of the day, epoch ms */
	dayStartMs: number;
	bytes: number;
	medianBytes: number;
	ratio: number;
}

export interface DeployMarker {
	atMs: number;
	container: string;
	image: string;
}

export interface TrendData {
	metric: TrendId;
	title: string;
	unit: TrendUnit;
	range: TrendRange;
	fromMs: number;
	toMs: number;
	/** spacing of the returned points */
	stepSec: number;
	source: 'prometheus' | 'local';
	/** what the points were computed from, e.g. "PromQL step 300 s", "1-minute history", "15-minute rollups" */
	resolution: string;
	series: TrendLine[];
	thresholds: TrendThreshold[];
	/** disk: one projection per series key */
	projections?: Record<string, Projection>;
	/** io: days where a container wrote more than `spikeFactor` x its own daily median */
	spikes?: WriteSpike[];
	spikeFactor?: number;
	deploys?: DeployMarker[];
	/** why there are no series (e.g. the metric is not scraped yet), null when there are */
	noData: string | null;
}

export type TrendAnswer =
	| { state: 'ok'; data: TrendData; at: number }
	| { state: 'partial'; data: TrendData; reason: string; at: number; lastGoodAt: number | null }
	| {
			state: 'unavailable';
			reason: string;
			lastGood: TrendData | null;
			lastGoodAt: number | null;
			at: number;
	  };
