import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDb } from '../../../../tests/helpers/db';
import { createHistoryStore } from './history-store';
import { meanPoint, rollupHistory, rollupRange, ROLLUP_MS } from './rollup';
import type { HistoryPoint } from '$lib/health';

const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1); // a multiple of 15 minutes

const point = (ts: number, i: number): HistoryPoint => ({
	ts,
	stealPct: i, // minute index: the mean of minutes a..b is (a+b)/2
	busyPct: i % 2 ? null : 10, // only even minutes have it
	load1: 1,
	memAvailableBytes: 1000 + i,
	swapUsedBytes: null,
	swapCachedBytes: 0,
	disks:
		i === 3
			? [{ mount: '/', usedPct: 40 }]
			: [
					{ mount: '/', usedPct: 40 },
					{ mount: '/data', usedPct: 70 + i }
				]
});

describe('meanPoint', () => {
	it('averages each field over the minutes that have it, disks per mount', () => {
		const p = meanPoint(
			T0,
			[0, 1, 2, 3].map((i) => point(T0 + i * MIN, i))
		);
		expect(p).toEqual({
			ts: T0,
			minutes: 4,
			stealPct: 1.5, // (0+1+2+3)/4
			busyPct: 10, // minutes 0 and 2 only
			load1: 1,
			memAvailableBytes: 1002, // round(1001.5): bytes stay integers
			swapUsedBytes: null, // no minute had it
			swapCachedBytes: 0,
			disks: [
				{ mount: '/', usedPct: 40 },
				{ mount: '/data', usedPct: 71 } // minutes 0,1,2 (70,71,72); minute 3 has no /data
			]
		});
	});
});

describe('rollupHistory', () => {
	let ctx: Awaited<ReturnType<typeof freshDb>>;
	beforeEach(async () => (ctx = await freshDb()));
	afterEach(() => ctx.cleanup());

	it('rolls only complete 15 minutes, resumes where it stopped, and keeps other hosts apart', async () => {
		const store = createHistoryStore(ctx.db, 'vm-a');
		// 40 minutes: two complete quarters (0-14, 15-29) and 10 minutes of the third
		for (let i = 0; i < 40; i++) await store.insert(point(T0 + i * MIN, i));
		await createHistoryStore(ctx.db, 'vm-b').insert(point(T0, 99));

		expect(await rollupHistory(ctx.db, { hostId: 'vm-a' })).toBe(2);
		let rows = await rollupRange(ctx.db, { hostId: 'vm-a', fromMs: 0, toMs: T0 + DAY });
		expect(rows.map((r) => [r.ts - T0, r.minutes, r.stealPct])).toEqual([
			[0, 15, 7], // mean of 0..14
			[ROLLUP_MS, 15, 22] // mean of 15..29
		]);
		// nothing new is complete
		expect(await rollupHistory(ctx.db, { hostId: 'vm-a' })).toBe(0);
		// minute 44 completes the third quarter
		for (let i = 40; i < 45; i++) await store.insert(point(T0 + i * MIN, i));
		expect(await rollupHistory(ctx.db, { hostId: 'vm-a' })).toBe(1);
		rows = await rollupRange(ctx.db, { hostId: 'vm-a', fromMs: 0, toMs: T0 + DAY });
		expect(rows.map((r) => r.stealPct)).toEqual([7, 22, 37]);
		expect(await rollupRange(ctx.db, { hostId: 'vm-b', fromMs: 0, toMs: T0 + DAY })).toEqual([]);
	});

	it('the prune pass rolls up before deleting the raw minutes and drops rollups past their retention', async () => {
		const now = T0 + 100 * DAY;
		const store = createHistoryStore(ctx.db, 'vm-a', {
			rollupRetentionMs: 90 * DAY,
			now: () => now
		});
		// one quarter 95 days ago (past 90-day retention), one 10 days ago, and a live minute now
		for (let i = 0; i < 15; i++) await store.insert(point(T0 + 5 * DAY + i * MIN, i));
		for (let i = 0; i < 15; i++) await store.insert(point(T0 + 90 * DAY + i * MIN, i));
		await store.insert(point(now, 0));

		// raw retention 7 days: both old quarters' minutes go, but only after being rolled up
		const deleted = await store.pruneOlderThan(now - 7 * DAY);
		expect(deleted).toBe(30);
		const rows = await rollupRange(ctx.db, { hostId: 'vm-a', fromMs: 0, toMs: now });
		// the 95-day-old quarter was rolled and then pruned in the same pass; the 10-day-old one stays
		expect(rows.map((r) => [r.ts, r.minutes])).toEqual([[T0 + 90 * DAY, 15]]);
	});
});
