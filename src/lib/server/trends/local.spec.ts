import { describe, expect, it } from 'vitest';
import type { HistoryPoint } from '$lib/health';
import { localLines } from './local';

const T0 = Date.UTC(2026, 10, 1);
const p = (min: number, v: number, disks = [{ mount: '/', usedPct: v }]): HistoryPoint => ({
	ts: T0 + min * 60_000,
	stealPct: v,
	busyPct: null,
	load1: null,
	memAvailableBytes: v * 1000,
	swapUsedBytes: null,
	swapCachedBytes: null,
	disks
});

describe('localLines', () => {
	it('buckets minutes to the step with means, per mount for disk', () => {
		// step 300 s: minutes 0-4 -> bucket 0 (mean of 1..5 = 3), minutes 5,6 -> bucket 5 (mean 6.5)
		const pts = [1, 2, 3, 4, 5, 6, 7].map((v, i) =>
			p(
				i,
				v,
				i === 6
					? [
							{ mount: '/', usedPct: v },
							{ mount: '/data', usedPct: 90 }
						]
					: [{ mount: '/', usedPct: v }]
			)
		);
		expect(localLines('steal', pts, 300)).toEqual({
			series: [
				{
					key: 'steal',
					label: 'steal',
					points: [
						[T0, 3],
						[T0 + 300_000, 6.5]
					]
				}
			],
			noData: null
		});
		expect(localLines('disk', pts, 300).series).toEqual([
			{
				key: '/',
				label: '/',
				points: [
					[T0, 3],
					[T0 + 300_000, 6.5]
				]
			},
			{ key: '/data', label: '/data', points: [[T0 + 300_000, 90]] }
		]);
		// memory: available only; swap had no values so it is left out, not an empty line
		expect(localLines('memory', pts, 300).series.map((s) => s.key)).toEqual(['available']);
	});

	it('says why there is nothing', () => {
		expect(localLines('io', [p(0, 1)], 60)).toEqual({
			series: [],
			noData: expect.stringMatching(/needs Prometheus/)
		});
		expect(localLines('load', [p(0, 1)], 60).noData).toBe('no local history for this range yet');
	});
});
