// Migrations over a database an older version made and filled, not only over an empty file.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '.';
import { actions, timelineEvents } from './schema';
import { recordIntent } from '../audit/actions';
import { countTimeline, listTimeline } from '../timeline/timeline';

const H = 'vm-test';
const T0 = Date.UTC(2026, 11, 7, 3, 0);
const at = (m: number) => T0 + m * 60_000;

/** A copy of drizzle/ that stops before `tag`: the migrations an older version shipped. */
async function migrationsBefore(dir: string, tag: string): Promise<string> {
	const out = path.join(dir, `drizzle-before-${tag}`);
	await cp('drizzle', out, { recursive: true });
	const file = path.join(out, 'meta', '_journal.json');
	const journal = JSON.parse(await readFile(file, 'utf8')) as { entries: { tag: string }[] };
	const at = journal.entries.findIndex((e) => e.tag === tag);
	expect(at).toBeGreaterThan(0);
	journal.entries = journal.entries.slice(0, at);
	await writeFile(file, JSON.stringify(journal));
	return out;
}

describe('migration 0005 (the timeline indexes)', () => {
	let dir: string;
	let db: Db | null = null;
	beforeEach(async () => {
		dir = await mkdtemp(path.join(tmpdir(), 'vmw-migrate-'));
	});
	afterEach(async () => {
		db?.$client.close();
		db = null;
		await rm(dir, { recursive: true, force: true });
	});

	it('indexes the rows already there, a clipped input among them, and keeps taking writes', async () => {
		const url = `file:${path.join(dir, 'vmw.db')}`;
		db = await openDb({ url, migrationsDir: await migrationsBefore(dir, '0005_timeline_counts') });
		// recordIntent clips an input summary at 500 characters: what is left is not JSON, and the
		// index's severity reads a field of an alert's input
		const clipped = JSON.stringify({ severity: 'CRIT', note: 'x'.repeat(600) }).slice(0, 499) + '…';
		const act = (m: number, action: string, input: string, outcome: 'ok' | 'denied' = 'ok') => ({
			hostId: H,
			ts: at(m),
			actor: 'alerts',
			action,
			target: 'swap.used',
			input,
			outcome,
			result: 'sent',
			endedAt: at(m)
		});
		await db
			.insert(actions)
			.values([
				act(1, 'alerts.send', clipped),
				act(2, 'alerts.send', '{"kind":"raise","severity":"WARN"}'),
				act(3, 'alerts.send', '{"kind":"raise","severity":"CRIT"}', 'denied'),
				act(4, 'auth.login', '{}')
			]);
		await db.insert(timelineEvents).values({
			hostId: H,
			ts: at(5),
			kind: 'cron',
			ref: 'backup@1',
			container: null,
			stack: null,
			severity: 'CRIT',
			title: 'cron job backup failed (exit 1)',
			detail: null,
			bytes: null
		});
		db.$client.close();

		db = await openDb({ url, migrationsDir: 'drizzle' });
		const indexes = await db.$client.execute(
			"SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('actions_host_ts_idx', 'actions_timeline_idx', 'timeline_events_kind_idx') ORDER BY name"
		);
		expect(indexes.rows.map((r) => r.name)).toEqual([
			'actions_host_ts_idx',
			'actions_timeline_idx',
			'timeline_events_kind_idx'
		]);
		// a clipped input written after the index exists
		await recordIntent(
			db,
			{
				hostId: H,
				actor: 'alerts',
				action: 'alerts.send',
				target: 'disk./',
				input: { severity: 'WARN', note: 'y'.repeat(600) }
			},
			at(6)
		);
		const q = { hostId: H, fromMs: at(0), toMs: at(9) };
		expect(
			(await listTimeline(db, q)).items.map((e) => [(e.ts - T0) / 60_000, e.kind, e.severity])
		).toEqual([
			[6, 'alert', 'info'],
			[5, 'cron', 'CRIT'],
			[2, 'alert', 'WARN'],
			[1, 'alert', 'info']
		]);
		expect((await countTimeline(db, { ...q, buckets: 1 })).cells).toEqual([
			{ kind: 'alert', bucket: 0, count: 3, severity: 'WARN' },
			{ kind: 'cron', bucket: 0, count: 1, severity: 'CRIT' }
		]);
	});
});
