import { describe, expect, it } from 'vitest';
import { median, writeSpikes } from './spikes';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);

describe('writeSpikes', () => {
	it('median', () => {
		expect(median([3, 1, 2])).toBe(2);
		expect(median([4, 1, 3, 2])).toBe(2.5);
		expect(median([])).toBe(0);
	});

	it('flags the day a container wrote more than k x its own median, not a busier neighbour', () => {
		// hourly points (step 3600 s); app writes 1000 B/s except day 3 at 5000 B/s -> 86.4 MB vs 432 MB a day;
		// db writes a steady 50,000 B/s: bigger than app's spike, but it is its own normal
		const points = (rate: (day: number) => number): [number, number][] =>
			Array.from({ length: 7 * 24 }, (_, h) => [
				T0 + (h + 1) * 3_600_000,
				rate(Math.floor(h / 24))
			]);
		const spikes = writeSpikes({
			series: [
				{ key: 'app', label: 'app', points: points((d) => (d === 3 ? 5000 : 1000)) },
				{ key: 'db', label: 'db', points: points(() => 50_000) }
			],
			stepSec: 3600,
			factor: 3
		});
		expect(spikes).toEqual([
			{
				series: 'app',
				dayStartMs: T0 + 3 * DAY,
				bytes: 5000 * 86_400,
				medianBytes: 1000 * 86_400,
				ratio: 5
			}
		]);
	});

	it('needs three days to judge', () => {
		const points: [number, number][] = [
			[T0 + 3_600_000, 1],
			[T0 + DAY + 3_600_000, 100]
		];
		expect(
			writeSpikes({ series: [{ key: 'a', label: 'a', points }], stepSec: 3600, factor: 3 })
		).toEqual([]);
	});
});
