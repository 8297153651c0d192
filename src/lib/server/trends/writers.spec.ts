import { describe, expect, it } from 'vitest';
import { foldSmallWriters, OTHER_WRITERS_KEY } from './writers';
import type { TrendLine } from '$lib/trends';

const line = (key: string, values: number[], t0 = 0): TrendLine => ({
	key,
	label: key,
	points: values.map((v, i) => [t0 + i * 300_000, v])
});

describe('foldSmallWriters', () => {
	it('keeps the heaviest writers and sums the rest per timestamp into one line', () => {
		const series = [
			line('a', [1, 1]),
			line('big', [100, 300]),
			line('b', [2, 2]),
			line('mid', [50, 50]),
			// starts a step later: its only point adds to the second timestamp
			line('late', [4], 300_000)
		];
		const out = foldSmallWriters(series, 2);
		expect(out.map((s) => s.key)).toEqual(['big', 'mid', OTHER_WRITERS_KEY]);
		expect(out[2].label).toBe('other containers (3)');
		expect(out[2].points).toEqual([
			[0, 3],
			[300_000, 7]
		]);
		// the kept lines are the same objects, untouched
		expect(out[0]).toBe(series[1]);
	});

	it('leaves a chart alone when folding would sum a single line', () => {
		const series = [line('a', [1]), line('b', [2]), line('c', [3])];
		expect(foldSmallWriters(series, 2)).toBe(series);
		const two = series.slice(0, 2);
		expect(foldSmallWriters(two, 2)).toBe(two);
	});

	it('ties rank by name, so the same data always draws the same lines', () => {
		const series = ['d', 'c', 'b', 'a'].map((k) => line(k, [5]));
		expect(foldSmallWriters(series, 2).map((s) => s.key)).toEqual(['a', 'b', OTHER_WRITERS_KEY]);
	});
});
