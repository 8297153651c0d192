import { describe, expect, it } from 'vitest';
import type { HistoryPoint, HostSample } from '$lib/health';
import { stealAverage } from './steal';

const T = Date.UTC(2026, 10, 29, 12, 0, 0);
const sample = (
	ts: number,
	stealPct: number | null,
	intervalMs: number | null = 5000
): HostSample => ({
	ts,
	cpu: { ok: true, stealPct, busyPct: 10, intervalMs, perCpu: [] },
	load: { ok: false, error: 'x' },
	memory: { ok: false, error: 'x' },
	disks: []
});
const minute = (ts: number, stealPct: number | null): HistoryPoint => ({
	ts,
	stealPct,
	busyPct: null,
	load1: null,
	memAvailableBytes: null,
	swapUsedBytes: null,
	swapCachedBytes: null,
	disks: []
});

describe('stealAverage (15 minutes)', () => {
	it('weights each sample by the interval it covers', () => {
		// 10 s at 2 % then 30 s at 10 %: (2·10 + 10·30) / 40 = 8
		const r = stealAverage({
			samples: [sample(T - 30_000, 2, 10_000), sample(T, 10, 30_000)],
			minutes: [],
			nowMs: T
		});
		expect(r).toEqual({ stealPct: 8, coveredMs: 40_000 });
	});

	it('leaves out what is older than 15 minutes, and cuts a sample at the window start', () => {
		// the window starts at T−900 s; the first sample covers T−960..T−900 (outside);
		// the second covers T−920..T−890, of which 10 s are inside at 4 %; the third 890 s at 1 %
		const r = stealAverage({
			samples: [
				sample(T - 900_000, 50, 60_000),
				sample(T - 890_000, 4, 30_000),
				sample(T, 1, 890_000)
			],
			minutes: [],
			nowMs: T
		});
		expect(r!.coveredMs).toBe(900_000);
		expect(r!.stealPct).toBeCloseTo((4 * 10 + 1 * 890) / 900, 10);
	});

	it('fills the time before the ring with stored minutes, never double-counting', () => {
		// ring: the last 5 minutes at 10 %; stored minutes for the 15 minutes at 1 % (the last 5 overlap the ring)
		const samples = Array.from({ length: 60 }, (_, i) => sample(T - 295_000 + i * 5000, 10));
		const minutes = Array.from({ length: 15 }, (_, i) => minute(T - 900_000 + i * 60_000, 1));
		const r = stealAverage({ samples, minutes, nowMs: T });
		// 10 minutes of minutes at 1 % + 5 minutes of samples at 10 % = (600·1 + 300·10) / 900 = 4
		expect(r!.coveredMs).toBe(900_000);
		expect(r!.stealPct).toBeCloseTo(4, 10);
	});

	it('skips figures that did not read; nothing readable is null (unknown), not 0', () => {
		expect(
			stealAverage({
				samples: [sample(T, null, null)],
				minutes: [minute(T - 120_000, null)],
				nowMs: T
			})
		).toBeNull();
		expect(stealAverage({ samples: [], minutes: [], nowMs: T })).toBeNull();
		const failed: HostSample = { ...sample(T, 1), cpu: { ok: false, error: 'bad /proc/stat' } };
		expect(stealAverage({ samples: [failed, sample(T - 5000, 3)], minutes: [], nowMs: T })).toEqual(
			{ stealPct: 3, coveredMs: 5000 }
		);
	});
});
