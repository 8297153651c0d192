import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDb } from '../../../../tests/helpers/db';
import { hostHistory } from './schema';
import { createHistoryBuckets, historyBuckets } from './history-buckets';
import { meanPoint } from '../host/minute-history';
import type { HistoryPoint } from '$lib/health';

const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);

/** Irregular minutes: figures missing now and then, a mount that comes and goes, one bucket with no rows. */
const point = (i: number): HistoryPoint => ({
	ts: T0 + i * MIN,
	stealPct: i % 7 === 0 ? null : (i * 37) % 11,
	busyPct: 10 + (i % 3),
	load1: i % 5 === 0 ? null : i / 100,
	memAvailableBytes: 1_000_001 + i * 3,
	swapUsedBytes: i % 4 ? 2048 * i : null,
	swapCachedBytes: 0,
	disks:
		i % 6 === 0
			? [{ mount: '/', usedPct: 40 + i / 1000 }]
			: [
					{ mount: '/data', usedPct: 70 - i / 100 },
					{ mount: '/', usedPct: 40 + i / 1000 }
				]
});

/** The JavaScript answer: group by step, meanPoint per group (minute-history.ts), mounts sorted. */
function expected(points: HistoryPoint[], stepMs: number): HistoryPoint[] {
	const groups = new Map<number, HistoryPoint[]>();
	for (const p of points) {
		const b = Math.floor(p.ts / stepMs) * stepMs;
		groups.set(b, [...(groups.get(b) ?? []), p]);
	}
	return [...groups].map(([b, ps]) => {
		const m = meanPoint(b, ps);
		return { ...m, disks: [...m.disks].sort((x, y) => x.mount.localeCompare(y.mount)) };
	});
}

describe('historyBuckets', () => {
	let ctx: Awaited<ReturnType<typeof freshDb>>;
	beforeEach(async () => (ctx = await freshDb()));
	afterEach(() => ctx.cleanup());

	it.each([60, 300, 600, 900])(
		'step %i s: the same means as meanPoint over each bucket, across statements',
		{ timeout: 30_000 },
		async (stepSec) => {
			// two days and a bit (several statements), minutes 100-129 missing
			const points = Array.from({ length: 2 * 1440 + 77 }, (_, i) => point(i)).filter(
				(p) => p.ts < T0 + 100 * MIN || p.ts >= T0 + 130 * MIN
			);
			const rows = [
				...points.map((p) => ({ hostId: 'vm-a', ...p })),
				{ hostId: 'vm-b', ...point(1), stealPct: 99 }
			];
			for (let i = 0; i < rows.length; i += 500)
				await ctx.db.insert(hostHistory).values(rows.slice(i, i + 500));
			const fromMs = T0 + 3 * MIN;
			const toMs = T0 + 2 * DAY + 60 * MIN;
			const inRange = points.filter((p) => p.ts >= fromMs && p.ts <= toMs);

			const got = await historyBuckets(ctx.db, {
				table: 'host_history',
				hostId: 'vm-a',
				fromMs,
				toMs,
				stepMs: stepSec * 1000
			});

			const want = expected(inRange, stepSec * 1000);
			expect(got.points.map((p) => p.ts)).toEqual(want.map((p) => p.ts));
			for (const [i, p] of got.points.entries()) {
				const w = want[i];
				for (const f of ['stealPct', 'busyPct', 'load1'] as const) {
					if (w[f] === null) expect(p[f]).toBeNull();
					else expect(p[f]).toBeCloseTo(w[f]!, 9);
				}
				expect([p.memAvailableBytes, p.swapUsedBytes, p.swapCachedBytes]).toEqual([
					w.memAvailableBytes,
					w.swapUsedBytes,
					w.swapCachedBytes
				]);
				expect(p.disks.map((d) => d.mount)).toEqual(w.disks.map((d) => d.mount));
				p.disks.forEach((d, j) => expect(d.usedPct).toBeCloseTo(w.disks[j].usedPct, 9));
			}
			expect(got.lastRowTs).toBe(inRange.at(-1)!.ts);
		}
	);

	it('an empty range is no points and no last row', async () => {
		expect(
			await historyBuckets(ctx.db, {
				table: 'host_history_rollup',
				hostId: 'vm-a',
				fromMs: T0,
				toMs: T0 + DAY,
				stepMs: 900_000
			})
		).toEqual({ points: [], lastRowTs: null });
		await expect(
			historyBuckets(ctx.db, {
				table: 'host_history',
				hostId: 'vm-a',
				fromMs: T0,
				toMs: T0 + DAY,
				stepMs: 0
			})
		).rejects.toThrow(RangeError);
	});
});

describe('history store buckets over whole 15 minutes', () => {
	let ctx: Awaited<ReturnType<typeof freshDb>>;
	beforeEach(async () => (ctx = await freshDb()));
	afterEach(() => ctx.cleanup());

	it(
		'reads the rollups where they exist and the minutes after them: the same means as the minutes alone',
		{ timeout: 30_000 },
		async () => {
			// every minute present (a rollup's mean of 15 is then exactly the mean of its minutes)
			const full = (i: number): HistoryPoint => ({
				...point(i),
				stealPct: i % 13,
				load1: i / 100,
				swapUsedBytes: 2048 * i,
				memAvailableBytes: 1_000_000 + 30 * i,
				disks: [
					{ mount: '/', usedPct: 40 + i / 1000 },
					{ mount: '/data', usedPct: 70 - i / 100 }
				]
			});
			const rolled = Array.from({ length: 1440 }, (_, i) => full(i));
			const rows = rolled.map((p) => ({ hostId: 'vm-a', ...p }));
			for (let i = 0; i < rows.length; i += 500)
				await ctx.db.insert(hostHistory).values(rows.slice(i, i + 500));
			const { rollupHistory } = await import('./rollup');
			const { createHistoryStore } = await import('./history-store');
			await rollupHistory(ctx.db, { hostId: 'vm-a' });
			// 100 minutes after the last rollup, not rolled up yet
			const later = Array.from({ length: 100 }, (_, i) => full(1440 + i));
			await ctx.db.insert(hostHistory).values(later.map((p) => ({ hostId: 'vm-a', ...p })));
			const store = createHistoryStore(ctx.db, 'vm-a', { rollupRetentionMs: 90 * DAY });
			const range = { fromMs: T0, toMs: T0 + 1539 * MIN, stepMs: 1_800_000 };

			const got = await store.buckets(range);
			const minutesOnly = await historyBuckets(ctx.db, {
				table: 'host_history',
				hostId: 'vm-a',
				...range
			});

			expect(got.points.map((p) => p.ts)).toEqual(minutesOnly.points.map((p) => p.ts));
			for (const [i, p] of got.points.entries()) {
				const w = minutesOnly.points[i];
				expect(p.stealPct).toBeCloseTo(w.stealPct!, 9);
				expect(p.load1).toBeCloseTo(w.load1!, 9);
				expect(p.disks.map((d) => d.mount)).toEqual(w.disks.map((d) => d.mount));
				p.disks.forEach((d, j) => expect(d.usedPct).toBeCloseTo(w.disks[j].usedPct, 9));
			}
			expect(got.lastRowTs).toBe(T0 + 1539 * MIN);
		}
	);
});

describe('createHistoryBuckets: settled buckets kept, the same answers', () => {
	let ctx: Awaited<ReturnType<typeof freshDb>>;
	beforeEach(async () => (ctx = await freshDb()));
	afterEach(() => ctx.cleanup());

	const insert = async (points: HistoryPoint[], hostId = 'vm-a') => {
		for (let i = 0; i < points.length; i += 500)
			await ctx.db
				.insert(hostHistory)
				.values(points.slice(i, i + 500).map((p) => ({ hostId, ...p })));
	};
	const uncached = (r: { fromMs: number; toMs: number; stepMs: number }) =>
		historyBuckets(ctx.db, { table: 'host_history', hostId: 'vm-a', ...r });

	it(
		'answers as historyBuckets after late rows, a prune of the old end and new minutes, reading only what changed',
		{ timeout: 30_000 },
		async () => {
			// a day of minutes; "now" is the last one's end: the last 2 minutes are not settled yet
			await insert(Array.from({ length: 1440 }, (_, i) => point(i)));
			await insert([{ ...point(3), stealPct: 99 }], 'vm-b');
			let now = T0 + 1440 * MIN;
			const reads: string[] = [];
			const kept = createHistoryBuckets({ db: ctx.db, hostId: 'vm-a', now: () => now });
			// the figures statements read, by their ts bounds
			const execute = ctx.db.$client.execute.bind(ctx.db.$client);
			ctx.db.$client.execute = ((stmt: { sql: string; args: number[] }) => {
				if (/GROUP BY b ORDER BY b$/.test(stmt.sql.trim()))
					reads.push(stmt.args.slice(3).join('..'));
				return execute(stmt);
			}) as unknown as typeof execute;
			// a range starting inside a bucket (minute 7 of a 30-minute bucket), ending now
			const range = () => ({ fromMs: T0 + 7 * MIN, toMs: now, stepMs: 30 * MIN });
			const same = async () => {
				reads.length = 0;
				const got = await kept.buckets({ table: 'host_history', ...range() });
				const readNow = [...reads];
				expect(got).toEqual(await uncached(range()));
				reads.splice(0, reads.length, ...readNow);
				return got;
			};

			const first = await same();
			expect(first.points).toHaveLength(48);
			const readFirst = reads.length;

			// again, a minute later: the head (minutes 7-29) and the unsettled tail only
			now += MIN;
			await same();
			expect(reads.length).toBeLessThan(readFirst);
			expect(reads).toEqual([
				`${T0 + 7 * MIN}..${T0 + 30 * MIN - 1}`,
				`${T0 + 1410 * MIN}..${now}`
			]);

			// a row written late into a kept bucket (minute 100's was missing: delete and write it again)
			await ctx.db.$client.execute({
				sql: 'DELETE FROM host_history WHERE host_id = ? AND ts = ?',
				args: ['vm-a', T0 + 600 * MIN]
			});
			// (a deletion in the middle is not seen: that one is what the comment in settled-buckets.ts excludes)
			await insert([{ ...point(600), stealPct: 1000 }]);
			const late = await same();
			expect(late.points[20].stealPct).not.toBe(first.points[20].stealPct);

			// the prune pass deletes the old end, inside a bucket: that bucket is read again, those before it dropped
			await ctx.db.$client.execute({
				sql: 'DELETE FROM host_history WHERE host_id = ? AND ts < ?',
				args: ['vm-a', T0 + 75 * MIN]
			});
			const pruned = await same();
			expect(pruned.points[0].ts).toBe(T0 + 60 * MIN);

			// new minutes: the tail moves on, and the kept buckets follow
			await insert(Array.from({ length: 90 }, (_, i) => point(1440 + i)));
			now += 90 * MIN;
			const moved = await same();
			expect(moved.lastRowTs).toBe(T0 + 1529 * MIN);

			// a range in the past, then the live one again (neither touches the other's kept buckets)
			const past = { fromMs: T0 + 120 * MIN, toMs: T0 + 300 * MIN, stepMs: 30 * MIN };
			expect(await kept.buckets({ table: 'host_history', ...past })).toEqual(await uncached(past));
			await same();
			expect(kept.size().minutes.steps).toBe(1);
		}
	);
});
