import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDb } from '../../../../tests/helpers/db';
import {
	actionsToCsv,
	listActions,
	markInterruptedActions,
	recordAction,
	recordIntent
} from './actions';

describe('action record', () => {
	let t: Awaited<ReturnType<typeof freshDb>>;
	beforeEach(async () => (t = await freshDb()));
	afterEach(async () => t.cleanup());

	const intent = {
		hostId: 'local',
		actor: 'session:operator',
		address: '127.0.0.1',
		action: 'containers.restart',
		target: 'web',
		input: { id: 'web' }
	};

	it('writes the intent before running and the outcome after', async () => {
		let seenDuringRun: string | undefined;
		await recordAction(
			t.db,
			intent,
			async () => {
				seenDuringRun = (await listActions(t.db))[0].outcome;
				return 'restarted';
			},
			(v) => v
		);
		const [row] = await listActions(t.db);
		expect(seenDuringRun).toBe('pending');
		expect(row).toMatchObject({
			outcome: 'ok',
			result: 'restarted',
			action: 'containers.restart',
			target: 'web',
			input: '{"id":"web"}'
		});
		expect(row.endedAt).toBeGreaterThanOrEqual(row.ts);
	});

	it('stores a failure with its message and rethrows', async () => {
		await expect(
			recordAction(t.db, intent, async () => {
				throw new Error('no such container');
			})
		).rejects.toThrow('no such container');
		expect((await listActions(t.db))[0]).toMatchObject({
			outcome: 'error',
			result: 'no such container'
		});
	});

	it('a stored failure carries no URL credentials, path or query (issue 21 item 3)', async () => {
		await expect(
			recordAction(t.db, intent, async () => {
				throw new TypeError(
					'Request cannot be constructed from a URL that includes credentials: https://bot:pa55@hooks.example.com/services/KEY?token=t0k3n'
				);
			})
		).rejects.toThrow();
		const { result } = (await listActions(t.db))[0];
		expect(result).toContain('https://hooks.example.com/…');
		for (const secret of ['pa55', 'KEY', 't0k3n']) expect(result).not.toContain(secret);
	});

	it('caps the input summary at 500 characters', async () => {
		await recordIntent(t.db, { ...intent, input: { id: 'x'.repeat(10_000) } });
		expect((await listActions(t.db))[0].input).toHaveLength(500);
	});

	it('marks intents left pending by a dead process as unknown, and only those', async () => {
		await recordIntent(t.db, intent, 1_000);
		await recordAction(t.db, intent, async () => 1);
		expect(await markInterruptedActions(t.db, Date.now() + 1)).toBe(1);
		const rows = await listActions(t.db);
		expect(rows.map((r) => r.outcome).sort()).toEqual(['ok', 'unknown']);
	});
});

describe('audit CSV export', () => {
	it('quotes every cell, doubles quotes, defuses formulas, UTC times, oldest first', () => {
		const row = (id: number, over: Partial<import('./actions').ActionRow>) => ({
			id,
			hostId: 'vm1',
			ts: Date.UTC(2026, 10, 29, 12, 0, id),
			actor: 'session:admin:admin',
			address: '127.0.0.1',
			action: 'users.create',
			target: null,
			input: null,
			outcome: 'ok' as const,
			result: 'done',
			endedAt: null,
			...over
		});
		const csv = actionsToCsv([
			row(2, { target: '=HYPERLINK("http://evil")', result: 'a "quoted" result' }),
			row(1, { target: 'olga' })
		]);
		expect(csv.split('\r\n')).toEqual([
			'id,time,hostId,actor,address,action,target,input,outcome,result,endedAt',
			'"1","2026-11-29T12:00:01.000Z","vm1","session:admin:admin","127.0.0.1","users.create","olga","","ok","done",""',
			'"2","2026-11-29T12:00:02.000Z","vm1","session:admin:admin","127.0.0.1","users.create","\'=HYPERLINK(""http://evil"")","","ok","a ""quoted"" result",""',
			''
		]);
	});
});
