// The timeline over a fresh migrated SQLite file with one night's records in every source.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDb } from '../../../../tests/helpers/db';
import type { Db } from '../db';
import { actions, deploys, ollamaUsage, scoreHistory } from '../db/schema';
import { decodeCursor, listTimeline } from './timeline';
import { backfillHealthChanges } from './health-changes';

const H = 'vm-test';
const T0 = Date.UTC(2026, 11, 7, 3, 0);
const at = (m: number) => T0 + m * 60_000;

async function seed(db: Db, hostId = H) {
	// score every 5 minutes: memory 20 (OK) until 03:10, 15 (WARN) at 03:10 and 03:15, 20 again at 03:20; disk unknown at 03:15
	const score = (m: number, memory: number, disk: number | null) => ({
		hostId,
		ts: at(m),
		total: 90,
		cpu: 20,
		memory,
		disk,
		services: 20,
		maintenance: 15,
		llm: 10
	});
	await db
		.insert(scoreHistory)
		.values([
			score(0, 20, 15),
			score(5, 20, 15),
			score(10, 15, 15),
			score(15, 15, null),
			score(20, 20, 15)
		]);
	// scores stored before the health rows existed: compared once, as the score store does on its first insert
	await backfillHealthChanges(db, hostId);
	const act = (
		m: number,
		action: string,
		target: string,
		input: object,
		outcome: 'ok' | 'error' | 'denied' = 'ok',
		actor = 'watchdog'
	) => ({
		hostId,
		ts: at(m),
		actor,
		action,
		target,
		input: JSON.stringify(input),
		outcome,
		result: 'done',
		endedAt: at(m)
	});
	await db
		.insert(actions)
		.values([
			act(1, 'watchdog.restart', 'shop-api-1', { key: 'shop/api', reason: 'unhealthy' }),
			act(2, 'alerts.send', 'swap.used', { kind: 'raise', severity: 'WARN' }, 'ok', 'alerts'),
			act(3, 'watchdog.oom', 'jobs-worker-1', { key: 'jobs/worker' }),
			act(4, 'containers.restart', 'shop-api-1', { id: 'abc' }, 'ok', 'session:operator:ann'),
			act(6, 'containers.restart', 'shop-api-1', { id: 'abc' }, 'denied', 'session:viewer:bob'),
			act(7, 'digest.send', 'manual', {}, 'ok', 'alerts'),
			act(7, 'auth.login', 'admin', {}, 'ok', 'session:admin:admin'),
			act(21, 'alerts.send', 'swap.used', { kind: 'recover', severity: 'OK' }, 'ok', 'alerts')
		]);
	await db.insert(deploys).values({
		hostId,
		ts: at(8),
		key: 'shop/api',
		container: 'shop-api-1',
		image: 'ghcr.io/acme/api:1.5',
		imageId: 'sha256:bbbbbbbbbbbbbbbbbbbbbbbb',
		previousImageId: 'sha256:aaaaaaaaaaaaaaaaaaaaaaaa'
	});
	await db.insert(ollamaUsage).values({
		hostId,
		model: 'phi3:mini',
		startedAt: at(9),
		lastSeenAt: at(18),
		endedAt: at(19),
		sizeBytes: 2_600_000_000
	});
}

describe('listTimeline', () => {
	let db: Db;
	let cleanup: () => Promise<void>;
	beforeEach(async () => ({ db, cleanup } = await freshDb()));
	afterEach(async () => cleanup());

	it('merges every source newest first, leaving out denied actions, logins and the digest', async () => {
		await seed(db);
		await seed(db, 'other-host');
		const page = await listTimeline(db, { hostId: H, fromMs: at(0), toMs: at(30) });
		expect(page.items.map((e) => [(e.ts - T0) / 60_000, e.kind, e.severity, e.title])).toEqual([
			[21, 'alert', 'OK', 'alert cleared: swap.used'],
			// same ts and source: by id, descending (rows are written in dimension order: memory, then disk)
			[20, 'health', 'OK', 'Disk health unknown → OK'],
			[20, 'health', 'OK', 'Memory pressure WARN → OK'],
			[19, 'model', 'info', 'phi3:mini unloaded (2.6 GB)'],
			[15, 'health', 'info', 'Disk health OK → unknown'],
			[10, 'health', 'WARN', 'Memory pressure OK → WARN'],
			[9, 'model', 'info', 'phi3:mini loaded (2.6 GB)'],
			[8, 'deploy', 'info', 'shop-api-1 deployed ghcr.io/acme/api:1.5'],
			[4, 'action', 'info', 'containers.restart shop-api-1'],
			[3, 'oom', 'CRIT', 'OOM kill: jobs-worker-1'],
			[2, 'alert', 'WARN', 'alert raised: swap.used'],
			[1, 'watchdog', 'WARN', 'watchdog.restart shop-api-1']
		]);
		expect(page.nextCursor).toBeNull();
		expect(page.items.filter((e) => e.kind === 'health').map((e) => e.href)).toEqual([
			'/trends?metric=disk',
			'/vm?focus=memory',
			'/trends?metric=disk',
			'/vm?focus=memory'
		]);
		expect(page.items.find((e) => e.kind === 'deploy')).toMatchObject({
			container: 'shop-api-1',
			stack: 'shop',
			detail: 'sha256:aaaaaaaaaaaa → sha256:bbbbbbbbbbbb'
		});
	});

	it('sees a change at the first score of the range against the one before it', async () => {
		await seed(db);
		const page = await listTimeline(db, {
			hostId: H,
			fromMs: at(10),
			toMs: at(10),
			kinds: ['health']
		});
		expect(page.items.map((e) => e.title)).toEqual(['Memory pressure OK → WARN']);
	});

	it('filters by kind, container, stack and severity', async () => {
		await seed(db);
		const titles = async (q: object) =>
			(await listTimeline(db, { hostId: H, fromMs: at(0), toMs: at(30), ...q })).items.map(
				(e) => e.title
			);
		expect(await titles({ kinds: ['model', 'deploy'] })).toEqual([
			'phi3:mini unloaded (2.6 GB)',
			'phi3:mini loaded (2.6 GB)',
			'shop-api-1 deployed ghcr.io/acme/api:1.5'
		]);
		expect(await titles({ container: 'shop-api-1' })).toEqual([
			'shop-api-1 deployed ghcr.io/acme/api:1.5',
			'containers.restart shop-api-1',
			'watchdog.restart shop-api-1'
		]);
		expect(await titles({ stack: 'jobs' })).toEqual(['OOM kill: jobs-worker-1']);
		expect(await titles({ severities: ['CRIT', 'WARN'] })).toEqual([
			'Memory pressure OK → WARN',
			'OOM kill: jobs-worker-1',
			'alert raised: swap.used',
			'watchdog.restart shop-api-1'
		]);
	});

	it('pages by cursor without repeating or skipping when rows arrive between pages', async () => {
		await seed(db);
		const q = { hostId: H, fromMs: at(0), toMs: at(30), limit: 5 };
		const first = await listTimeline(db, q);
		expect(first.items).toHaveLength(5);
		// a new restart at 03:25 and an unload recorded late for 03:05 arrive between the pages
		await db.insert(actions).values({
			hostId: H,
			ts: at(25),
			actor: 'watchdog',
			action: 'watchdog.restart',
			target: 'web-1',
			input: '{}',
			outcome: 'ok',
			result: 'done',
			endedAt: at(25)
		});
		await db.insert(ollamaUsage).values({
			hostId: H,
			model: 'tiny',
			startedAt: at(-60),
			lastSeenAt: at(4),
			endedAt: at(5),
			sizeBytes: 1
		});
		const second = await listTimeline(db, { ...q, cursor: first.nextCursor! });
		const third = await listTimeline(db, { ...q, cursor: second.nextCursor! });
		const seen = [...first.items, ...second.items, ...third.items].map(
			(e) => `${e.source}:${e.id}:${e.ts}`
		);
		expect(new Set(seen).size).toBe(seen.length);
		// the 12 seeded entries all came, plus the late unload (below the cursor), not the newer restart
		expect(seen).toHaveLength(13);
		expect(third.nextCursor).toBeNull();
		expect([...second.items, ...third.items].some((e) => e.title.startsWith('tiny unloaded'))).toBe(
			true
		);
	});

	it('refuses a malformed cursor and a reversed range', async () => {
		await expect(
			listTimeline(db, { hostId: H, fromMs: 0, toMs: 1, cursor: "1~x'; drop table actions;--~1" })
		).rejects.toThrow(/not a timeline cursor/);
		await expect(listTimeline(db, { hostId: H, fromMs: 2, toMs: 1 })).rejects.toThrow(
			/ends before it starts/
		);
		expect(decodeCursor('123~model.load~7')).toEqual({ ts: 123, source: 'model.load', id: 7 });
	});
});
