import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDb } from '../../../../tests/helpers/db';
import { containerHistory } from '../db/schema';
import { createContainerWriteTrend } from './local-containers';

const MIN = 60_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);

describe('container write trend (local)', () => {
	let ctx: Awaited<ReturnType<typeof freshDb>>;
	beforeEach(async () => (ctx = await freshDb()));
	afterEach(() => ctx.cleanup());

	const insert = async (
		rows: { key: string; ts: number; writeBps: number | null }[],
		hostId = 'vm-a'
	) => {
		for (let i = 0; i < rows.length; i += 200)
			await ctx.db
				.insert(containerHistory)
				.values(rows.slice(i, i + 200).map((r) => ({ hostId, name: r.key, ...r })));
	};

	it('means per step and container; kept buckets are reused, a late row into one is read again', async () => {
		// a: minute i writes i B/s; b: 100 B/s, but null (no reading) every 4th minute; 5 hours of minutes
		const rows = [];
		for (let i = 0; i < 300; i++)
			rows.push(
				{ key: 'a', ts: T0 + i * MIN, writeBps: i },
				{ key: 'b', ts: T0 + i * MIN, writeBps: i % 4 ? 100 : null }
			);
		await insert(rows);
		await insert([{ key: 'a', ts: T0, writeBps: 1e9 }], 'vm-other');
		let now = T0 + 300 * MIN;
		const trend = createContainerWriteTrend({ db: ctx.db, hostId: 'vm-a', now: () => now });
		const range = { fromMs: T0 + 2 * MIN, toMs: T0 + 299 * MIN, stepMs: 30 * MIN };

		const first = await trend.lines(range);
		// buckets are whole even where the range starts inside one (minute 2): bucket k holds minutes 30k..30k+29, a's mean 30k + 14.5
		expect(first.map((l) => l.key)).toEqual(['a', 'b']);
		expect(first[0].points).toEqual(
			Array.from({ length: 10 }, (_, k) => [T0 + k * 30 * MIN, 30 * k + 14.5])
		);
		expect(first[1].points.every(([, v]) => v === 100)).toBe(true);

		// the same again, later: nothing changed, the same answer
		now += 10 * MIN;
		expect(await trend.lines(range)).toEqual(first);

		// a row written late into a kept bucket (hour 1) changes that bucket's mean
		await insert([{ key: 'c', ts: T0 + HOUR + 5 * MIN, writeBps: 7 }]);
		const later = await trend.lines(range);
		expect(later.map((l) => l.key)).toEqual(['a', 'b', 'c']);
		expect(later[2].points).toEqual([[T0 + HOUR, 7]]);
		expect(later[0]).toEqual(first[0]);
	});

	it('the newest minutes (not settled yet) are read on every call', async () => {
		const now = T0 + 60 * MIN;
		const trend = createContainerWriteTrend({ db: ctx.db, hostId: 'vm-a', now: () => now });
		const range = { fromMs: T0, toMs: now, stepMs: MIN };
		await insert([{ key: 'a', ts: T0 + 30 * MIN, writeBps: 5 }]);
		expect(await trend.lines(range)).toEqual([
			{ key: 'a', label: 'a', points: [[T0 + 30 * MIN, 5]] }
		]);
		await insert([{ key: 'a', ts: now - MIN, writeBps: 6 }]);
		expect((await trend.lines(range))[0].points).toEqual([
			[T0 + 30 * MIN, 5],
			[now - MIN, 6]
		]);
	});
});
