import { describe, expect, it } from 'vitest';
import type { HistoryPoint } from '$lib/health';
import { createMinuteHistory, meanPoint, MINUTE_MS } from './minute-history';

const M0 = Date.UTC(2026, 10, 29, 12, 0); // a minute boundary
const GiB = 1024 ** 3;
const point = (ts: number, p: Partial<HistoryPoint> = {}): HistoryPoint => ({
	ts,
	stealPct: null,
	busyPct: null,
	load1: null,
	memAvailableBytes: null,
	swapUsedBytes: null,
	swapCachedBytes: null,
	disks: [],
	...p
});

describe('meanPoint', () => {
	it('averages each figure over the points that have it; null is not zero', () => {
		const mean = meanPoint(M0, [
			point(M0 + 5000, {
				stealPct: null,
				busyPct: 60,
				memAvailableBytes: 1 * GiB,
				disks: [{ mount: '/', usedPct: 40 }]
			}),
			point(M0 + 25_000, {
				stealPct: 10,
				busyPct: 70,
				memAvailableBytes: 2 * GiB,
				disks: [
					{ mount: '/', usedPct: 41 },
					{ mount: '/data', usedPct: 90 }
				]
			}),
			point(M0 + 45_000, { stealPct: 20, busyPct: 80, memAvailableBytes: 2 * GiB + 1 })
		]);
		expect(mean).toEqual({
			ts: M0,
			stealPct: 15, // (10 + 20) / 2: the first point's null is left out
			busyPct: 70, // (60 + 70 + 80) / 3
			load1: null, // no point had it
			// (1 + 2 + 2 GiB + 1 byte) / 3 = 5 GiB/3 + 1/3 byte, rounded to a whole byte
			memAvailableBytes: Math.round((5 * GiB + 1) / 3),
			swapUsedBytes: null,
			swapCachedBytes: null,
			disks: [
				{ mount: '/', usedPct: 40.5 }, // (40 + 41) / 2: a mount averages over the points that read it
				{ mount: '/data', usedPct: 90 }
			]
		});
	});
});

describe('createMinuteHistory', () => {
	it('returns nothing while the minute is open and the closed minute when the next one starts', () => {
		const h = createMinuteHistory();
		expect(h.add(point(M0 + 1000, { load1: 1 }))).toBeNull();
		expect(h.add(point(M0 + MINUTE_MS - 1, { load1: 3 }))).toBeNull();
		// first point of the next minute closes M0 with the mean of 1 and 3; it belongs to the new minute
		expect(h.add(point(M0 + MINUTE_MS, { load1: 100 }))).toMatchObject({ ts: M0, load1: 2 });
		// a gap of several minutes closes the last open minute only (no empty minutes are made up)
		expect(h.add(point(M0 + 5 * MINUTE_MS, { load1: 7 }))).toMatchObject({
			ts: M0 + MINUTE_MS,
			load1: 100
		});
	});
});
