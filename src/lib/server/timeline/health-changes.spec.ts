// Health changes written with the score: through the real score store over a fresh migrated
// SQLite file, and the one-off comparison of scores stored before the table existed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDb } from '../../../../tests/helpers/db';
import type { Db } from '../db';
import { scoreHistory, timelineEvents } from '../db/schema';
import { createScoreStore } from '../score/store';
import { DIMENSION_IDS, type DimensionId, type VmScore } from '$lib/score';
import { backfillHealthChanges, healthChangeRows } from './health-changes';
import { listTimeline } from './timeline';

const H = 'vm-test';
const T0 = Date.UTC(2026, 11, 7, 3, 0);
const at = (m: number) => T0 + m * 60_000;
const FULL: Record<DimensionId, number> = {
	cpu: 20,
	memory: 20,
	disk: 15,
	services: 20,
	maintenance: 15,
	llm: 10
};

/** A stored score with every dimension at full marks but those given (null = unknown). */
function score(m: number, over: Partial<Record<DimensionId, number | null>> = {}): VmScore {
	const points = { ...FULL, ...over };
	return {
		hostId: H,
		at: at(m),
		total: 90,
		points: 0,
		knownMax: 0,
		scaled: false,
		unknown: [],
		note: null,
		dimensions: DIMENSION_IDS.map((id) => ({
			id,
			title: id,
			max: FULL[id],
			state: points[id] === null ? 'unknown' : 'known',
			points: points[id],
			input: null,
			inputText: '',
			rule: '',
			summary: '',
			href: ''
		}))
	};
}

describe('healthChangeRows', () => {
	it('lists each dimension whose level moved, with the score card levels (full OK, ≥ half WARN, else CRIT)', () => {
		const prev = { ...FULL, memory: 15, llm: null };
		// memory 15 -> 9 of 20: WARN -> CRIT; disk 15 -> 8 of 15: OK -> WARN (8 ≥ 7.5); cpu 20 -> 19: OK -> WARN;
		// llm unknown -> 10: unknown -> OK; services stays OK
		const rows = healthChangeRows(prev, {
			hostId: H,
			ts: at(5),
			...FULL,
			cpu: 19,
			memory: 9,
			disk: 8
		});
		expect(rows.map((r) => [r.ref, r.severity, r.title, r.detail, r.href])).toEqual([
			[
				`cpu@${at(5)}`,
				'WARN',
				'CPU efficiency OK → WARN',
				'score 19/20 (was 20)',
				'/trends?metric=steal'
			],
			[
				`memory@${at(5)}`,
				'CRIT',
				'Memory pressure WARN → CRIT',
				'score 9/20 (was 15)',
				'/vm?focus=memory'
			],
			[
				`disk@${at(5)}`,
				'WARN',
				'Disk health OK → WARN',
				'score 8/15 (was 15)',
				'/trends?metric=disk'
			],
			[
				`llm@${at(5)}`,
				'OK',
				'LLM readiness unknown → OK',
				'score 10/10 (was ?)',
				'/models?focus=memory'
			]
		]);
	});
});

describe('health changes stored with the score', () => {
	let db: Db;
	let cleanup: () => Promise<void>;
	beforeEach(async () => ({ db, cleanup } = await freshDb()));
	afterEach(async () => cleanup());

	it('records a change against the previous stored score, once, and the timeline lists it', async () => {
		const store = createScoreStore(db, H);
		await store.insert(score(0));
		await store.insert(score(5, { memory: 15 }));
		await store.insert(score(10, { memory: 15 }));
		// the same score stored again (onConflictDoUpdate): no second row
		await store.insert(score(10, { memory: 15 }));
		await store.insert(score(15, { memory: 20, disk: null }));
		const page = await listTimeline(db, { hostId: H, fromMs: at(0), toMs: at(20) });
		expect(
			page.items.map((e) => [(e.ts - T0) / 60_000, e.kind, e.severity, e.title, e.href])
		).toEqual([
			[15, 'health', 'info', 'Disk health OK → unknown', '/trends?metric=disk'],
			[15, 'health', 'OK', 'Memory pressure WARN → OK', '/vm?focus=memory'],
			[5, 'health', 'WARN', 'Memory pressure OK → WARN', '/vm?focus=memory']
		]);
		expect(
			(
				await listTimeline(db, { hostId: H, fromMs: at(0), toMs: at(20), severities: ['WARN'] })
			).items.map((e) => e.ts)
		).toEqual([at(5)]);
		// a container or stack filter leaves health out (it concerns no container)
		expect(
			(await listTimeline(db, { hostId: H, fromMs: at(0), toMs: at(20), container: 'x' })).items
		).toEqual([]);
	});

	it('compares the scores stored before the table once, on the first insert, and not again', async () => {
		// a week-old database: scores with a memory dip, and no health rows
		const row = (m: number, memory: number) => ({
			hostId: H,
			ts: at(m),
			total: 90,
			cpu: 20,
			memory,
			disk: 15,
			services: 20,
			maintenance: 15,
			llm: 10
		});
		await db.insert(scoreHistory).values([row(0, 20), row(5, 5), row(10, 20)]);
		await createScoreStore(db, H).insert(score(15, { memory: 15 }));
		const titles = async () =>
			(await listTimeline(db, { hostId: H, fromMs: at(0), toMs: at(20) })).items.map(
				(e) => `${(e.ts - T0) / 60_000} ${e.title}`
			);
		expect(await titles()).toEqual([
			'15 Memory pressure OK → WARN',
			'10 Memory pressure CRIT → OK',
			'5 Memory pressure OK → CRIT'
		]);
		// a later start: health rows exist, nothing is compared again
		expect(await backfillHealthChanges(db, H)).toBe(0);
		expect(await db.select().from(timelineEvents)).toHaveLength(3);
	});
});
