// Disk-fill projection (pure): a least-squares line over used % -> when it reaches each target.
//
// The cleanup rule. A cleanup frees space in one go, so the series steps DOWN and then grows
// again; a line fitted across the step is flattened (or even falls) and hides the growth. So the
// fit starts after the LAST step-down, where a step-down is a point that
//   - is lower than the point before it, and
//   - lies at least `minDropPct` percentage points (default 1) below the highest point of the
//     `dropWindowMs` (default 1 hour) before it.
// A drop spread over several points (a cleanup that takes minutes) flags each falling point, so
// the fit starts at the bottom of the drop. Ordinary growth never falls, and noise under 1 point
// an hour is not a cleanup. With fewer than `minFitPoints` points (default 3) or less than one
// hour since the step, the answer is 'too-little-data'; with slope <= 0 it is 'not-growing'.
import type { Projection } from '$lib/trends';

const DAY_MS = 86_400_000;

export interface ProjectOptions {
	/** [epoch ms, used %], oldest first */
	points: [number, number][];
	targets?: number[];
	minDropPct?: number;
	dropWindowMs?: number;
	minFitPoints?: number;
}

/** Index of the first point after the last step-down (0 when there is none). */
export function lastStepDown(
	points: [number, number][],
	{ minDropPct = 1, dropWindowMs = 3_600_000 } = {}
): number {
	let start = 0;
	let windowStart = 0;
	for (let i = 1; i < points.length; i++) {
		const [t, v] = points[i];
		while (points[windowStart][0] < t - dropWindowMs) windowStart++;
		if (v >= points[i - 1][1]) continue;
		let max = -Infinity;
		for (let j = windowStart; j < i; j++) max = Math.max(max, points[j][1]);
		if (max - v >= minDropPct) start = i;
	}
	return start;
}

/** Least squares y = a + b·x; r2 = 1 - SSres/SStot (1 for a perfect fit, also when y is constant). */
export function leastSquares(
	xs: number[],
	ys: number[]
): { intercept: number; slope: number; r2: number } {
	const n = xs.length;
	let sx = 0;
	let sy = 0;
	for (let i = 0; i < n; i++) {
		sx += xs[i];
		sy += ys[i];
	}
	const mx = sx / n;
	const my = sy / n;
	let sxx = 0;
	let sxy = 0;
	let syy = 0;
	for (let i = 0; i < n; i++) {
		const dx = xs[i] - mx;
		const dy = ys[i] - my;
		sxx += dx * dx;
		sxy += dx * dy;
		syy += dy * dy;
	}
	const slope = sxx === 0 ? 0 : sxy / sxx;
	const intercept = my - slope * mx;
	let ssRes = 0;
	for (let i = 0; i < n; i++) {
		const r = ys[i] - (intercept + slope * xs[i]);
		ssRes += r * r;
	}
	const r2 = syy === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / syy;
	return { intercept, slope, r2 };
}

export function projectDisk({
	points,
	targets = [55, 70, 100],
	minDropPct = 1,
	dropWindowMs = 3_600_000,
	minFitPoints = 3
}: ProjectOptions): Projection {
	const empty = (status: Projection['status'], extra: Partial<Projection> = {}): Projection => ({
		status,
		slopePctPerDay: null,
		r2: null,
		fitFromMs: null,
		fitToMs: null,
		fitPoints: 0,
		stepDownAtMs: null,
		targets: targets.map((pct) => ({ pct, atMs: null, days: null })),
		line: [],
		...extra
	});
	if (points.length === 0) return empty('too-little-data');
	const from = lastStepDown(points, { minDropPct, dropWindowMs });
	const fit = points.slice(from);
	const stepDownAtMs = from > 0 ? points[from][0] : null;
	const t0 = fit[0][0];
	const tLast = fit[fit.length - 1][0];
	if (fit.length < minFitPoints || tLast - t0 < 3_600_000)
		return empty('too-little-data', {
			fitPoints: fit.length,
			stepDownAtMs,
			fitFromMs: t0,
			fitToMs: tLast
		});

	// x in days since the fit's first point keeps the numbers small (epoch ms squared loses precision)
	const { intercept, slope, r2 } = leastSquares(
		fit.map(([t]) => (t - t0) / DAY_MS),
		fit.map(([, v]) => v)
	);
	const at = (t: number) => intercept + slope * ((t - t0) / DAY_MS);
	const base = {
		slopePctPerDay: slope,
		r2,
		fitFromMs: t0,
		fitToMs: tLast,
		fitPoints: fit.length,
		stepDownAtMs
	};
	if (!(slope > 0)) {
		return {
			status: 'not-growing',
			...base,
			targets: targets.map((pct) => ({ pct, atMs: null, days: null })),
			line: [
				[t0, at(t0)],
				[tLast, at(tLast)]
			]
		};
	}
	const projected = targets.map((pct) => {
		const atMs = t0 + ((pct - intercept) / slope) * DAY_MS;
		return { pct, atMs, days: Math.max(0, (atMs - tLast) / DAY_MS) };
	});
	const next = projected.find((p) => p.days > 0);
	const endMs = next ? next.atMs! : tLast;
	return {
		status: 'growing',
		...base,
		targets: projected,
		line: [
			[t0, at(t0)],
			[endMs, at(endMs)]
		]
	};
}
