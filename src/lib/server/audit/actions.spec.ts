import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDb } from '../../../../tests/helpers/db';
import { listActions, markInterruptedActions, recordAction, recordIntent } from './actions';

describe('action record', () => {
	let t: Awaited<ReturnType<typeof freshDb>>;
	beforeEach(async () => (t = await freshDb()));
	afterEach(async () => t.cleanup());

	const intent = { hostId: 'local', actor: 'session:operator', address: '127.0.0.1', action: 'containers.restart', target: 'web', input: { id: 'web' } };

	it('writes the intent before running and the outcome after', async () => {
		let seenDuringRun: string | undefined;
		await recordAction(t.db, intent, async () => {
			seenDuringRun = (await listActions(t.db))[0].outcome;
			return 'restarted';
		}, (v) => v);
		const [row] = await listActions(t.db);
		expect(seenDuringRun).toBe('pending');
		expect(row).toMatchObject({ outcome: 'ok', result: 'restarted', action: 'containers.restart', target: 'web', input: '{"id":"web"}' });
		expect(row.endedAt).toBeGreaterThanOrEqual(row.ts);
	});

	it('stores a failure with its message and rethrows', async () => {
		await expect(recordAction(t.db, intent, async () => { throw new Error('no such container'); })).rejects.toThrow('no such container');
		expect((await listActions(t.db))[0]).toMatchObject({ outcome: 'error', result: 'no such container' });
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
