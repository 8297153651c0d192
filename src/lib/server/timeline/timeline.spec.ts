// The timeline over a fresh migrated SQLite file with one night's records in every source.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDb } from '../../../../tests/helpers/db';
import type { Db } from '../db';
import { actions, deploys, ollamaUsage, scoreHistory, timelineEvents } from '../db/schema';
import { countTimeline, decodeCursor, listTimeline, seekBelow } from './timeline';
import { backfillHealthChanges } from './health-changes';
import type { TimelineEntry } from '$lib/timeline';

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

	it('lists and counts an action whose input was clipped (not JSON any more)', async () => {
		// recordIntent clips an input summary at 500 characters with an ellipsis: what is left is not JSON
		const clipped = JSON.stringify({ key: 'shop/api', note: 'x'.repeat(600) }).slice(0, 499) + '…';
		await db.insert(actions).values(
			(['alerts.send', 'containers.restart'] as const).map((action, i) => ({
				hostId: H,
				ts: at(i),
				actor: 'alerts',
				action,
				target: 'shop-api-1',
				input: clipped,
				outcome: 'ok' as const,
				result: 'done',
				endedAt: at(i)
			}))
		);
		const q = { hostId: H, fromMs: at(0), toMs: at(1) };
		const page = await listTimeline(db, q);
		// no kind, no severity, no stack to read in it: an alert raised, at the default severity
		expect(page.items.map((e) => [e.kind, e.severity, e.stack, e.title])).toEqual([
			['action', 'info', null, 'containers.restart shop-api-1'],
			['alert', 'info', null, 'alert raised: shop-api-1']
		]);
		expect((await countTimeline(db, { ...q, buckets: 2 })).cells).toEqual([
			{ kind: 'action', bucket: 1, count: 1, severity: 'info' },
			{ kind: 'alert', bucket: 0, count: 1, severity: 'info' }
		]);
		expect((await listTimeline(db, { ...q, stack: 'shop' })).items).toEqual([]);
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

/**
 * A busy night, every source written in the same minutes: a watchdog restart and an OOM kill a
 * minute (the reference stack's OOM loop), a Docker exit every 2 minutes, a deploy and a model
 * load/unload every 10, all on whole minutes so that entries of different sources share a ts
 * (the cursor's ties). `minutes` long, ending at `at(minutes - 1)`.
 */
async function seedBusy(db: Db, minutes: number) {
	const acts = [];
	const events = [];
	const deps = [];
	const models = [];
	for (let m = 0; m < minutes; m++) {
		for (const action of ['watchdog.restart', 'watchdog.oom'])
			acts.push({
				hostId: H,
				ts: at(m),
				actor: 'watchdog',
				action,
				target: `app${m % 3}-1`,
				input: JSON.stringify({ key: `app${m % 3}/web` }),
				outcome: 'ok' as const,
				result: 'done',
				endedAt: at(m)
			});
		if (m % 2 === 0)
			events.push({
				hostId: H,
				ts: at(m),
				kind: 'docker' as const,
				ref: `c${m}`,
				container: 'jobs-worker-1',
				stack: 'jobs',
				severity: 'WARN' as const,
				title: 'jobs-worker-1 exited (code 1)',
				detail: null
			});
		if (m % 10 === 0) {
			deps.push({
				hostId: H,
				ts: at(m),
				key: 'shop/api',
				container: 'shop-api-1',
				image: `shop/api:${m}`,
				imageId: `sha256:${m}`,
				previousImageId: null
			});
			models.push({
				hostId: H,
				model: 'phi3:mini',
				startedAt: at(m),
				lastSeenAt: at(m),
				endedAt: at(m + 10),
				sizeBytes: 2_600_000_000
			});
		}
	}
	for (let i = 0; i < acts.length; i += 200)
		await db.insert(actions).values(acts.slice(i, i + 200));
	for (let i = 0; i < events.length; i += 200)
		await db.insert(timelineEvents).values(events.slice(i, i + 200));
	await db.insert(deploys).values(deps);
	await db.insert(ollamaUsage).values(models);
	// every unload but the last one's falls in the range
	return acts.length + events.length + deps.length + 2 * models.length - 1;
}

/**
 * The virtual-machine steps SQLite took for the one statement `read` sends: the work of a read,
 * not its time (the same on a busy machine). The statement is tagged with a comment so that
 * `sqlite_stmt` (compiled into libsql) names it alone among the client's cached statements.
 */
async function vmSteps(db: Db, read: () => Promise<unknown>): Promise<number> {
	const client = db.$client;
	const execute = client.execute.bind(client);
	const tag = `/* steps ${Math.random()} */`;
	let sql: string | null = null;
	const spy = (stmt: { sql: string; args: unknown[] }) => {
		sql = `${stmt.sql} ${tag}`;
		return execute({ ...stmt, sql } as never);
	};
	client.execute = spy as never;
	try {
		await read();
	} finally {
		client.execute = execute;
	}
	const res = await execute({ sql: 'SELECT nstep FROM sqlite_stmt WHERE sql = ?', args: [sql] });
	expect(res.rows).toHaveLength(1);
	return Number(res.rows[0].nstep);
}

describe('listTimeline paging', () => {
	let db: Db;
	let cleanup: () => Promise<void>;
	beforeEach(async () => ({ db, cleanup } = await freshDb()));
	afterEach(async () => cleanup());

	it.each([
		// a source named after the cursor's (entries order by ts, then source, descending) has its rows at the cursor's ts above it
		[
			'action',
			{ ts: 500, source: 'event', id: 7 },
			{ upTo: 500, belowId: Number.MAX_SAFE_INTEGER }
		],
		['model.unload', { ts: 500, source: 'event', id: 7 }, { upTo: 500, belowId: 0 }],
		['event', { ts: 500, source: 'event', id: 7 }, { upTo: 500, belowId: 7 }],
		[
			'deploy',
			{ ts: 500, source: 'event', id: 7 },
			{ upTo: 500, belowId: Number.MAX_SAFE_INTEGER }
		],
		[
			'model.load',
			{ ts: 500, source: 'model.unload', id: 3 },
			{ upTo: 500, belowId: Number.MAX_SAFE_INTEGER }
		]
	])('seekBelow(%s, %o) continues %o', (source, cursor, expected) => {
		expect(seekBelow(source, cursor)).toEqual(expected);
	});

	it('orders entries of every source at one ts by source then id, and pages through the ties one at a time', async () => {
		await seedBusy(db, 1);
		await db.insert(actions).values({
			hostId: H,
			ts: at(0),
			actor: 'session:operator:ann',
			action: 'containers.restart',
			target: 'shop-api-1',
			input: '{}',
			outcome: 'ok',
			result: 'done',
			endedAt: at(0)
		});
		await db.insert(ollamaUsage).values({
			hostId: H,
			model: 'tiny',
			startedAt: at(-5),
			lastSeenAt: at(-1),
			endedAt: at(0),
			sizeBytes: 1
		});
		const q = { hostId: H, fromMs: at(0), toMs: at(0), limit: 1 };
		const seen: string[] = [];
		let cursor: string | undefined;
		do {
			const page = await listTimeline(db, { ...q, cursor });
			seen.push(...page.items.map((e) => `${e.source} ${e.title}`));
			cursor = page.nextCursor ?? undefined;
		} while (cursor);
		expect(seen).toEqual([
			'model.unload tiny unloaded (0.0 GB)',
			'model.load phi3:mini loaded (2.6 GB)',
			'event jobs-worker-1 exited (code 1)',
			'deploy shop-api-1 deployed shop/api:0',
			// one source at one ts: by id, newest first
			'action containers.restart shop-api-1',
			'action OOM kill: app0-1',
			'action watchdog.restart app0-1'
		]);
	});

	it('reads a page 50 pages down with the work of the first, and that page stays the same while rows arrive', async () => {
		const total = await seedBusy(db, 400);
		const q = { hostId: H, fromMs: at(0), toMs: at(399), limit: 20 };
		// every page, in order: each entry once, newest first by (ts, source, id)
		const pages: string[][] = [];
		const cursors: (string | undefined)[] = [undefined];
		for (let cursor: string | undefined, more = true; more;) {
			const page = await listTimeline(db, { ...q, cursor });
			pages.push(page.items.map((e) => `${e.ts}~${e.source}~${e.id}`));
			cursor = page.nextCursor ?? undefined;
			cursors.push(cursor);
			more = !!cursor;
		}
		const all = pages.flat();
		expect(all).toHaveLength(total);
		expect(new Set(all).size).toBe(total);
		const key = (k: string) => {
			const c = decodeCursor(k);
			return [c.ts, c.source, c.id] as const;
		};
		for (let i = 1; i < all.length; i++) {
			const [a, b] = [key(all[i - 1]), key(all[i])];
			expect(
				a[0] > b[0] || (a[0] === b[0] && (a[1] > b[1] || (a[1] === b[1] && a[2] > b[2])))
			).toBe(true);
		}
		const deep = 50;
		expect(pages.length).toBeGreaterThan(deep);

		const first = await vmSteps(db, () => listTimeline(db, q));
		const deepSteps = await vmSteps(db, () => listTimeline(db, { ...q, cursor: cursors[deep] }));
		// each source is read from the cursor down, at most limit + 1 rows: no more work 50 pages
		// (~1,000 entries) down than at the top. Read from the range's end down to the cursor (as
		// the list was until the cursor became each index's seek), it took ~8 steps for every entry
		// above the cursor: 15,050 here against 7,125 for the first page.
		expect(deepSteps).toBeLessThan(first * 1.25);

		// newer rows, and rows at the newest minute, arrive: the deep page is the same set
		await db.insert(actions).values(
			[399, 400, 401].map((m) => ({
				hostId: H,
				ts: at(m),
				actor: 'watchdog',
				action: 'watchdog.restart',
				target: 'late-1',
				input: '{}',
				outcome: 'ok' as const,
				result: 'done',
				endedAt: at(m)
			}))
		);
		const again = await listTimeline(db, { ...q, cursor: cursors[deep] });
		expect(again.items.map((e) => `${e.ts}~${e.source}~${e.id}`)).toEqual(pages[deep]);
		expect(again.nextCursor).toBe(cursors[deep + 1]);
	});
});

describe('countTimeline', () => {
	let db: Db;
	let cleanup: () => Promise<void>;
	beforeEach(async () => ({ db, cleanup } = await freshDb()));
	afterEach(async () => cleanup());

	it('counts the entries of each kind per slice of the range, in its worst severity', async () => {
		await seed(db);
		// 03:00–03:29:59.999 in 3 slices of 10 minutes
		const counts = await countTimeline(db, {
			hostId: H,
			fromMs: at(0),
			toMs: at(30) - 1,
			buckets: 3
		});
		expect(counts.bucketMs).toBe(600_000);
		expect(counts.cells.map((c) => [c.kind, c.bucket, c.count, c.severity])).toEqual([
			['action', 0, 1, 'info'],
			['alert', 0, 1, 'WARN'],
			['alert', 2, 1, 'OK'],
			['deploy', 0, 1, 'info'],
			// 03:10 memory OK → WARN and 03:15 disk OK → unknown; 03:20 both back to OK
			['health', 1, 2, 'WARN'],
			['health', 2, 2, 'OK'],
			['model', 0, 1, 'info'],
			['model', 1, 1, 'info'],
			['oom', 0, 1, 'CRIT'],
			['watchdog', 0, 1, 'WARN']
		]);
		// the list's entries, counted the same way
		const page = await listTimeline(db, { hostId: H, fromMs: at(0), toMs: at(30) - 1 });
		expect(counts.cells.reduce((n, c) => n + c.count, 0)).toBe(page.items.length);
	});

	it('applies the list filters, and puts the range end in the last slice', async () => {
		await seed(db);
		const q = { hostId: H, fromMs: at(0), toMs: at(21), buckets: 7 };
		expect((await countTimeline(db, { ...q, container: 'shop-api-1' })).cells).toEqual([
			{ kind: 'action', bucket: 1, count: 1, severity: 'info' },
			{ kind: 'deploy', bucket: 2, count: 1, severity: 'info' },
			{ kind: 'watchdog', bucket: 0, count: 1, severity: 'WARN' }
		]);
		const alerts = await countTimeline(db, { ...q, kinds: ['alert'], severities: ['OK'] });
		// 21 minutes and 1 ms in 7 slices: 3 minutes and 1 ms each, 03:21 (the range's last ms) in the last
		expect(alerts.bucketMs).toBe(180_001);
		expect(alerts.cells).toEqual([{ kind: 'alert', bucket: 6, count: 1, severity: 'OK' }]);
		await expect(countTimeline(db, { ...q, fromMs: at(2), toMs: at(1) })).rejects.toThrow(
			/ends before it starts/
		);
	});

	it('counts what the list shows, kind by kind and slice by slice, under each filter', async () => {
		// two busy hours: a watchdog restart and an OOM kill a minute (about 10 a slice: counted
		// slice by slice), a Docker exit every 2 minutes, deploys and model loads every 10 (1 a
		// slice: grouped); one night's records of every source beside them, and two restarts that
		// failed (CRIT among the WARN restarts of their slices)
		await seedBusy(db, 120);
		await seed(db);
		await db.insert(actions).values(
			[7, 50].map((m) => ({
				hostId: H,
				ts: at(m) + 30_000,
				actor: 'watchdog',
				action: 'watchdog.restart',
				target: 'app1-1',
				input: JSON.stringify({ key: 'app1/web' }),
				outcome: 'error' as const,
				result: 'timed out',
				endedAt: at(m) + 30_000
			}))
		);
		const range = { hostId: H, fromMs: at(0), toMs: at(119), buckets: 12 };
		const order = ['info', 'OK', 'WARN', 'CRIT'];
		// the list's entries, every page, counted per kind and slice in JS
		const counted = async (filters: object) => {
			const entries: TimelineEntry[] = [];
			let cursor: string | undefined;
			do {
				const page = await listTimeline(db, { ...range, ...filters, limit: 500, cursor });
				entries.push(...page.items);
				cursor = page.nextCursor ?? undefined;
			} while (cursor);
			const { bucketMs } = await countTimeline(db, range);
			const cells = new Map<
				string,
				{ kind: string; bucket: number; count: number; severity: string }
			>();
			for (const e of entries) {
				const bucket = Math.floor((e.ts - range.fromMs) / bucketMs);
				const cell = cells.get(`${e.kind}~${bucket}`) ?? {
					kind: e.kind,
					bucket,
					count: 0,
					severity: 'info'
				};
				cell.count++;
				if (order.indexOf(e.severity) > order.indexOf(cell.severity)) cell.severity = e.severity;
				cells.set(`${e.kind}~${bucket}`, cell);
			}
			return [...cells.values()].sort((a, b) =>
				a.kind === b.kind ? a.bucket - b.bucket : a.kind < b.kind ? -1 : 1
			);
		};
		const filtersList = [
			{},
			{ container: 'app1-1' },
			{ container: 'shop-api-1' },
			{ stack: 'app1' },
			{ stack: 'jobs' },
			{ severities: ['CRIT'] },
			{ severities: ['OK', 'info'] },
			{ kinds: ['oom', 'health', 'deploy'] },
			{ kinds: ['watchdog'], severities: ['CRIT'], container: 'app1-1' }
		] as const;
		for (const filters of filtersList) {
			const expected = await counted(filters);
			const counts = await countTimeline(db, { ...range, ...filters } as never);
			expect({ filters, cells: counts.cells }).toEqual({ filters, cells: expected });
		}
		// the two failed restarts, in their slices' worst severity
		const failed = await countTimeline(db, { ...range, kinds: ['watchdog'] });
		expect(failed.cells.filter((c) => c.severity === 'CRIT').map((c) => c.bucket)).toEqual([0, 5]);
	});

	it('reads each kind down the index that starts with it', async () => {
		await seedBusy(db, 120);
		const client = db.$client;
		const execute = client.execute.bind(client);
		const statements: { sql: string; args: unknown[] }[] = [];
		client.execute = ((stmt: { sql: string; args: unknown[] }) => {
			statements.push(stmt);
			return execute(stmt as never);
		}) as never;
		try {
			await countTimeline(db, { hostId: H, fromMs: at(0), toMs: at(119), buckets: 12 });
		} finally {
			client.execute = execute;
		}
		const plan = [];
		for (const stmt of statements)
			for (const row of (await execute({ ...stmt, sql: `EXPLAIN QUERY PLAN ${stmt.sql}` } as never))
				.rows)
				plan.push(String(row.detail));
		// the action kind is the index's expression, word for word (else SQLite computes it per row
		// and sorts the rows of the range to group them)
		expect(plan).toContain(
			'SEARCH actions USING INDEX actions_timeline_idx (host_id=? AND <expr>=? AND ts>? AND ts<?)'
		);
		expect(plan).toContain(
			'SEARCH timeline_events USING COVERING INDEX timeline_events_kind_idx (host_id=? AND kind=? AND ts>? AND ts<?)'
		);
		expect(
			plan.filter((d) =>
				/SEARCH (actions|timeline_events) USING (COVERING )?INDEX (actions_ts_idx|actions_host_ts_idx|timeline_events_ts_idx)/.test(
					d
				)
			)
		).toEqual([]);
	});

	it('counts a busy range without listing it', async () => {
		const total = await seedBusy(db, 400);
		const counts = await countTimeline(db, { hostId: H, fromMs: at(0), toMs: at(399) });
		expect(counts.cells.reduce((n, c) => n + c.count, 0)).toBe(total);
		// 400 minutes in 100 slices of 4 minutes: 4 OOM kills in each
		expect(counts.cells.filter((c) => c.kind === 'oom').map((c) => c.count)).toEqual(
			Array(100).fill(4)
		);
	});
});
