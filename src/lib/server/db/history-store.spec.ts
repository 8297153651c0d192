import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDb } from '../../../../tests/helpers/db';
import { createHistoryStore } from './history-store';
import type { HistoryPoint } from '$lib/health';

const point = (ts: number, stealPct: number): HistoryPoint => ({
	ts,
	stealPct,
	busyPct: 20,
	load1: 0.5,
	memAvailableBytes: 10 * 1024 ** 3,
	swapUsedBytes: 0,
	swapCachedBytes: 0,
	disks: [{ mount: '/', usedPct: 37.5 }]
});

describe('history store (SQLite)', () => {
	let ctx: Awaited<ReturnType<typeof freshDb>>;
	beforeEach(async () => (ctx = await freshDb()));
	afterEach(() => ctx.cleanup());

	it('stores minutes per host, answers ranges in order and prunes', async () => {
		const a = createHistoryStore(ctx.db, 'vm-a');
		const b = createHistoryStore(ctx.db, 'vm-b');
		await a.insert(point(180_000, 3));
		await a.insert(point(60_000, 1));
		await a.insert(point(120_000, 2));
		await b.insert(point(120_000, 99));

		expect((await a.range({ fromMs: 60_000, toMs: 120_000 })).map((p) => p.stealPct)).toEqual([
			1, 2
		]);
		expect(await a.range({ fromMs: 0, toMs: 10_000_000 })).toContainEqual(point(180_000, 3));

		// Same minute written again (restart mid-minute) replaces, never duplicates.
		await a.insert(point(120_000, 2.5));
		expect((await a.range({ fromMs: 0, toMs: 10_000_000 })).map((p) => p.stealPct)).toEqual([
			1, 2.5, 3
		]);

		expect(await a.pruneOlderThan(150_000)).toBe(2);
		expect((await a.range({ fromMs: 0, toMs: 10_000_000 })).map((p) => p.ts)).toEqual([180_000]);
		expect((await b.range({ fromMs: 0, toMs: 10_000_000 })).map((p) => p.stealPct)).toEqual([99]);
	});

	it('runs SQLite in WAL with synchronous=FULL and a busy timeout', async () => {
		const mode = await ctx.db.$client.execute('PRAGMA journal_mode');
		const sync = await ctx.db.$client.execute('PRAGMA synchronous');
		const busy = await ctx.db.$client.execute('PRAGMA busy_timeout');
		expect(Object.values(mode.rows[0])[0]).toBe('wal');
		expect(Number(Object.values(sync.rows[0])[0])).toBe(2); // FULL
		expect(Number(Object.values(busy.rows[0])[0])).toBeGreaterThanOrEqual(5000);
	});
});
