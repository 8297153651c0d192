// The io chart's lines (pure): the heaviest writers each on a line of their own, the rest summed
// into one. A VM of ~40 containers drew 40 overlapping lines of up to 3,000 points each: a 7-day
// /trends page carried 80,000 points (2 MB of HTML) for a chart 474 px wide where nobody can
// tell the 30 small writers apart. The write spikes are found on every container before this.
import type { TrendLine } from '$lib/trends';

/** Lines drawn one per container; past this, the lightest are summed into "other containers". */
export const IO_LINES = 8;
export const OTHER_WRITERS_KEY = '__other__';

/**
 * The `keep` containers that wrote the most over the range (mean of their points) as they are,
 * then one line of the others' sum per timestamp, labelled with how many it holds. At most
 * `keep + 1` lines; unchanged when there are no more than `keep + 1` (a line of one is no sum).
 */
export function foldSmallWriters(series: TrendLine[], keep = IO_LINES): TrendLine[] {
	if (series.length <= keep + 1) return series;
	const mean = (s: TrendLine) =>
		s.points.length ? s.points.reduce((sum, [, v]) => sum + v, 0) / s.points.length : 0;
	const ranked = series
		.map((s) => ({ s, m: mean(s) }))
		.sort((a, b) => b.m - a.m || a.s.key.localeCompare(b.s.key));
	const rest = ranked.slice(keep).map((r) => r.s);
	const sums = new Map<number, number>();
	for (const s of rest) for (const [t, v] of s.points) sums.set(t, (sums.get(t) ?? 0) + v);
	const other: TrendLine = {
		key: OTHER_WRITERS_KEY,
		label: `other containers (${rest.length})`,
		points: [...sums].sort((a, b) => a[0] - b[0])
	};
	return [...ranked.slice(0, keep).map((r) => r.s), other];
}
