import { describe, expect, it } from 'vitest';
import type { TrendData } from '$lib/trends';
import { projectionSegment, wideRows, yMax } from './chart-data';

const DAY = 86_400_000;
const base: TrendData = {
	metric: 'disk',
	title: 'Disk used',
	unit: 'percent',
	range: '7d',
	fromMs: 0,
	toMs: 7 * DAY,
	stepSec: 300,
	source: 'prometheus',
	resolution: '',
	series: [],
	thresholds: [{ value: 55, level: 'warn', label: 'warn' }],
	noData: null
};

describe('chart data', () => {
	it('wide rows fill missing keys with null', () => {
		const rows = wideRows({
			...base,
			series: [
				{
					key: 'a',
					label: 'a',
					points: [
						[1, 10],
						[2, 11]
					]
				},
				{ key: 'b', label: 'b', points: [[2, 5]] }
			]
		});
		expect(rows).toEqual([
			{ t: new Date(1), a: 10, b: null },
			{ t: new Date(2), a: 11, b: 5 }
		]);
	});

	it('projection clipped to half a range past the data', () => {
		// line from (0, 40) rising 1 %/day reaches 55 % at day 15; the 7-day chart shows up to day 10.5
		const seg = projectionSegment(
			{
				...base,
				projections: {
					'/': {
						status: 'growing',
						slopePctPerDay: 1,
						r2: 1,
						fitFromMs: 0,
						fitToMs: 7 * DAY,
						fitPoints: 9,
						stepDownAtMs: null,
						targets: [],
						line: [
							[0, 40],
							[15 * DAY, 55]
						]
					}
				}
			},
			'/'
		);
		expect(seg).toEqual([
			{ t: new Date(0), projection: 40 },
			{ t: new Date(10.5 * DAY), projection: 50.5 }
		]);
	});

	it('y axis: 100 for disk; otherwise the data max widened to a threshold within 3x', () => {
		expect(yMax(base)).toBe(100);
		const steal = {
			...base,
			metric: 'steal' as const,
			thresholds: [
				{ value: 5, level: 'warn' as const, label: '' },
				{ value: 15, level: 'crit' as const, label: '' }
			]
		};
		// data max 3: warn 5 is within 3x (9) -> 5 x 1.08; crit 15 is not
		expect(yMax({ ...steal, series: [{ key: 's', label: 's', points: [[0, 3]] }] })).toBeCloseTo(
			5.4,
			9
		);
	});
});
