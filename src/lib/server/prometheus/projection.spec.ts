import { describe, expect, it } from 'vitest';
import { lastStepDown, leastSquares, projectDisk } from './projection';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);
/** one point every `everyMs` for `days` days: value(t) */
function series(
	days: number,
	everyMs: number,
	value: (dayOffset: number) => number
): [number, number][] {
	const out: [number, number][] = [];
	for (let t = 0; t <= days * DAY; t += everyMs) out.push([T0 + t, value(t / DAY)]);
	return out;
}

describe('leastSquares', () => {
	it('recovers an exact line with r2 = 1', () => {
		const r = leastSquares([0, 1, 2, 3], [1, 3, 5, 7]);
		expect(r.slope).toBeCloseTo(2, 12);
		expect(r.intercept).toBeCloseTo(1, 12);
		expect(r.r2).toBeCloseTo(1, 12);
	});
	it('r2 for a known noisy set', () => {
		// x 0..3, y 0,2,1,3: mean y 1.5, slope = sxy/sxx = (−1.5·−1.5 + −0.5·0.5 + 0.5·−0.5 + 1.5·1.5)/5 = 4/5 = 0.8,
		// intercept 1.5 − 0.8·1.5 = 0.3; residuals −0.3, 0.9, −0.9, 0.3 -> SSres 1.8; SStot 5 -> r2 = 0.64
		const r = leastSquares([0, 1, 2, 3], [0, 2, 1, 3]);
		expect(r.slope).toBeCloseTo(0.8, 12);
		expect(r.intercept).toBeCloseTo(0.3, 12);
		expect(r.r2).toBeCloseTo(0.64, 12);
	});
});

describe('projectDisk', () => {
	it('0.5 %/day from 37 %: 55 % is 36 days after the start, 70 % 66, 100 % 126', () => {
		// 30 days of growth end at 37 + 15 = 52 %; 55 % is (55 − 52)/0.5 = 6 days after the last point
		const p = projectDisk({ points: series(30, 3_600_000, (d) => 37 + 0.5 * d) });
		expect(p.status).toBe('growing');
		expect(p.slopePctPerDay).toBeCloseTo(0.5, 9);
		expect(p.r2).toBeCloseTo(1, 9);
		expect(p.stepDownAtMs).toBeNull();
		expect(p.targets.map((t) => t.days)).toEqual([
			expect.closeTo(6, 6),
			expect.closeTo(36, 6),
			expect.closeTo(96, 6)
		]);
		expect(p.targets[0].atMs).toBeCloseTo(T0 + 36 * DAY, -3);
		// the line runs from the first point (37 %) to the warn target (55 %)
		expect(p.line[0]).toEqual([T0, expect.closeTo(37, 9)]);
		expect(p.line[1]).toEqual([expect.closeTo(T0 + 36 * DAY, -3), expect.closeTo(55, 6)]);
	});

	it('fits only after a cleanup step-down: the same growth rate, not a flattened one', () => {
		// 37 % + 0.5/day; at day 15 (44.5 %) a cleanup frees 4.5 points -> 40 %, then 0.5/day again:
		// last point (day 30) = 47.5 %, so 55 % is (55 − 47.5)/0.5 = 15 days away
		const points = series(30, 3_600_000, (d) => (d < 15 ? 37 + 0.5 * d : 40 + 0.5 * (d - 15)));
		const p = projectDisk({ points });
		expect(p.stepDownAtMs).toBe(T0 + 15 * DAY);
		expect(p.fitFromMs).toBe(T0 + 15 * DAY);
		expect(p.slopePctPerDay).toBeCloseTo(0.5, 9);
		expect(p.targets[0].days).toBeCloseTo(15, 6);
		expect(p.targets[1].days).toBeCloseTo(45, 6);
		expect(p.targets[2].days).toBeCloseTo(105, 6);
		// a fit across the step would see a much smaller slope: this is what the rule avoids
		const naive = leastSquares(
			points.map(([t]) => (t - T0) / DAY),
			points.map(([, v]) => v)
		);
		expect(naive.slope).toBeLessThan(0.4);
	});

	it('a cleanup spread over several points starts the fit at its bottom', () => {
		const points: [number, number][] = [
			[T0, 50],
			[T0 + 3_600_000, 50.1],
			[T0 + 3_600_000 + 300_000, 49],
			[T0 + 3_600_000 + 600_000, 47], // bottom of the drop
			[T0 + 3_600_000 + 900_000, 47.01]
		];
		expect(lastStepDown(points)).toBe(3);
	});

	it('noise under 1 point an hour is not a cleanup', () => {
		const points = series(2, 600_000, (d) => 40 + 0.5 * d + (Math.round(d * 144) % 2 ? 0.4 : 0));
		expect(lastStepDown(points)).toBe(0);
	});

	it('a flat or falling series is "not growing"', () => {
		expect(projectDisk({ points: series(7, 3_600_000, () => 42) })).toMatchObject({
			status: 'not-growing',
			slopePctPerDay: 0,
			targets: [{ atMs: null, days: null }, { atMs: null }, { atMs: null }]
		});
		// falls 0.01 points an hour (never 1 point within an hour, so no step-down): slope −0.24/day
		const falling = projectDisk({ points: series(7, 3_600_000, (d) => 60 - 0.24 * d) });
		expect(falling.status).toBe('not-growing');
		expect(falling.slopePctPerDay).toBeCloseTo(-0.24, 9);
	});

	it('already above a target: 0 days for it, the line goes to the next one', () => {
		const p = projectDisk({ points: series(10, 3_600_000, (d) => 56 + 1 * d) });
		// last point 66 %: 55 % already passed (0 days), 70 % in 4 days, 100 % in 34
		expect(p.targets.map((t) => t.days)).toEqual([0, expect.closeTo(4, 6), expect.closeTo(34, 6)]);
		expect(p.line[1][1]).toBeCloseTo(70, 6);
	});

	it('too little data since the step', () => {
		expect(projectDisk({ points: [] }).status).toBe('too-little-data');
		expect(
			projectDisk({
				points: [
					[T0, 40],
					[T0 + 60_000, 40.1]
				]
			}).status
		).toBe('too-little-data');
	});
});
