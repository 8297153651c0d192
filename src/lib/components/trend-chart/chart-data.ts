// TrendData -> what the chart draws (pure): wide rows by time, the projection segment, and the
// annotations (thresholds, write-spike days, deploys).
import type { TrendData } from '$lib/trends';

export type Row = { t: Date } & Record<string, number | null | Date>;

export const PALETTE = [
	'#0b5cc4',
	'#8250df',
	'#1a7f37',
	'#bf3989',
	'#9a6700',
	'#0a7ea4',
	'#57606a'
];

/** One row per timestamp with every series key present (null where a series has no point). */
export function wideRows(data: TrendData): Row[] {
	const byT = new Map<number, Record<string, number | null>>();
	const keys = data.series.map((s) => s.key);
	for (const s of data.series)
		for (const [t, v] of s.points) {
			let row = byT.get(t);
			if (!row) byT.set(t, (row = Object.fromEntries(keys.map((k) => [k, null]))));
			row[s.key] = v;
		}
	return [...byT].sort(([a], [b]) => a - b).map(([t, row]) => ({ t: new Date(t), ...row }) as Row);
}

/**
 * The projection drawn from the fit's start to where it reaches the first unreached target,
 * clipped to half the range beyond the data so a far-off date does not squash the chart.
 */
export function projectionSegment(data: TrendData, key: string): { t: Date; projection: number }[] {
	const p = data.projections?.[key];
	if (!p || p.line.length < 2) return [];
	const [[t0, v0], [t1, v1]] = p.line;
	const limit = data.toMs + (data.toMs - data.fromMs) / 2;
	const start = Math.max(t0, data.fromMs);
	const end = Math.min(t1, limit);
	if (end <= start) return [];
	const at = (t: number) => v0 + ((v1 - v0) * (t - t0)) / (t1 - t0 || 1);
	return [
		{ t: new Date(start), projection: at(start) },
		{ t: new Date(end), projection: at(end) }
	];
}

/** y from 0 to the data's max, widened to show the thresholds that are near the data. */
export function yMax(data: TrendData, extra: number[] = []): number {
	if (data.unit === 'percent' && data.metric === 'disk') return 100;
	let dataMax = 0;
	for (const s of data.series) for (const [, v] of s.points) if (v > dataMax) dataMax = v;
	for (const v of extra) if (v > dataMax) dataMax = v;
	const values = data.thresholds.map((t) => t.value).sort((a, b) => a - b);
	// thresholds within 3x of the data are drawn; with no data, the lowest one sets the scale
	const near = dataMax > 0 ? values.filter((v) => v <= dataMax * 3) : values.slice(0, 1);
	const max = Math.max(dataMax, ...near);
	return max > 0 ? max * 1.08 : 1;
}
