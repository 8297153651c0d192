// The usage record over a fresh migrated SQLite file: periods open, stay, close, and count.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDb } from '../../../../tests/helpers/db';
import type { Db } from '../db';
import { ollamaUsage } from '../db/schema';
import { lastUsedByModel, recordPoll, sessionsBetween } from './usage';

const H = 'vm-test';
const POLL = 15_000;
const GAP = 3 * POLL;

describe('ollama usage record', () => {
	let db: Db;
	let cleanup: () => Promise<void>;
	beforeEach(async () => ({ db, cleanup } = await freshDb()));
	afterEach(async () => cleanup());

	const rows = () => db.select().from(ollamaUsage).orderBy(ollamaUsage.id);
	const poll = (loaded: string[], now: number) =>
		recordPoll(db, { hostId: H, loaded, now, gapMs: GAP });

	it('opens a period on first sight, extends it while loaded, closes it when gone', async () => {
		expect(await poll(['qwen2.5-coder:1.5b'], 1_000)).toEqual({ opened: 1, closed: 0 });
		expect(await poll(['qwen2.5-coder:1.5b'], 16_000)).toEqual({ opened: 0, closed: 0 });
		expect(await poll([], 31_000)).toEqual({ opened: 0, closed: 1 });
		expect(await rows()).toEqual([
			{
				id: 1,
				hostId: H,
				model: 'qwen2.5-coder:1.5b',
				startedAt: 1_000,
				lastSeenAt: 16_000,
				endedAt: 31_000,
				sizeBytes: null
			}
		]);
	});

	it('keeps periods of two models apart and ignores a duplicate name in one poll', async () => {
		await poll(['a:1b', 'b:3b', 'a:1b'], 0);
		await poll(['b:3b'], 15_000);
		await poll(['a:1b', 'b:3b'], 30_000);
		const r = await rows();
		expect(r.map((x) => [x.model, x.startedAt, x.lastSeenAt, x.endedAt])).toEqual([
			['a:1b', 0, 0, 15_000],
			['b:3b', 0, 30_000, null],
			['a:1b', 30_000, 30_000, null]
		]);
	});

	it('ends a period at its last sighting after a gap longer than three polls (app or Ollama was down)', async () => {
		await poll(['a:1b'], 0);
		// next successful poll 10 minutes later: still loaded, but we cannot know it stayed loaded
		expect(await poll(['a:1b'], 600_000)).toEqual({ opened: 1, closed: 1 });
		expect((await rows()).map((x) => [x.startedAt, x.lastSeenAt, x.endedAt])).toEqual([
			[0, 0, 0],
			[600_000, 600_000, null]
		]);
	});

	it("does not touch another host's periods", async () => {
		await recordPoll(db, { hostId: 'other', loaded: ['a:1b'], now: 0, gapMs: GAP });
		await poll([], 15_000);
		expect((await rows())[0]).toMatchObject({ hostId: 'other', endedAt: null });
	});

	it('gives the last time each model was seen loaded', async () => {
		await poll(['a:1b'], 1_000);
		await poll(['a:1b', 'b:3b'], 16_000);
		await poll(['b:3b'], 31_000);
		expect(await lastUsedByModel(db, H)).toEqual(
			new Map([
				['a:1b', 16_000],
				['b:3b', 31_000]
			])
		);
		expect(await lastUsedByModel(db, 'other')).toEqual(new Map());
	});

	it('counts sessions started in a window and the loaded time clipped to it', async () => {
		const day = 86_400_000;
		// a:1b: one period the day before the window (ends inside it), two inside
		await db.insert(ollamaUsage).values([
			{
				hostId: H,
				model: 'a:1b',
				startedAt: 6 * day,
				lastSeenAt: 7 * day + 1000,
				endedAt: 7 * day + 2000
			},
			{
				hostId: H,
				model: 'a:1b',
				startedAt: 8 * day,
				lastSeenAt: 8 * day + 60_000,
				endedAt: 8 * day + 75_000
			},
			{ hostId: H, model: 'a:1b', startedAt: 9 * day, lastSeenAt: 9 * day + 30_000, endedAt: null },
			{
				hostId: H,
				model: 'b:3b',
				startedAt: 15 * day,
				lastSeenAt: 15 * day,
				endedAt: 15 * day + 1
			},
			{ hostId: 'other', model: 'a:1b', startedAt: 8 * day, lastSeenAt: 8 * day, endedAt: 8 * day }
		]);
		const r = await sessionsBetween(db, { hostId: H, fromMs: 7 * day, toMs: 14 * day });
		// a:1b: sessions started at 8d and 9d = 2; loaded 2000 (clipped: 7d..7d+2000) + 75 000 + 30 000 (open: up to last sighting)
		expect(r).toEqual([{ model: 'a:1b', sessions: 2, loadedMs: 2000 + 75_000 + 30_000 }]);
	});
});
