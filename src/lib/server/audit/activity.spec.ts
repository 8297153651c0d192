import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDb } from '../../../../tests/helpers/db';
import { recordIntent, recordOutcome } from './actions';
import { activityFacets, queryActions } from './activity';

describe('queryActions', () => {
	let t: Awaited<ReturnType<typeof freshDb>>;
	beforeEach(async () => {
		t = await freshDb();
		// 5 rows: ids 1..5
		const rows = [
			['watchdog', 'watchdog.restart', 'web', 'ok'],
			['watchdog', 'watchdog.quarantine', 'web', 'ok'],
			['session:operator', 'containers.restart', 'db', 'error'],
			['session:operator', 'watchdog.release', 'web', 'ok'],
			['watchdog', 'watchdog%restart', 'x', 'ok'] // a prefix is literal text, never a LIKE pattern
		] as const;
		for (const [actor, action, target, outcome] of rows) {
			const id = await recordIntent(t.db, { hostId: 'local', actor, action, target });
			await recordOutcome(t.db, id, outcome);
		}
		await recordIntent(t.db, {
			hostId: 'other',
			actor: 'watchdog',
			action: 'watchdog.restart',
			target: 'web'
		});
	});
	afterEach(async () => t.cleanup());

	it('pages newest first by id', async () => {
		const p1 = await queryActions(t.db, { hostId: 'local', limit: 2 });
		expect(p1.items.map((r) => r.id)).toEqual([5, 4]);
		expect(p1.nextCursor).toBe(4);
		const p2 = await queryActions(t.db, { hostId: 'local', limit: 2, cursor: 4 });
		expect(p2.items.map((r) => r.id)).toEqual([3, 2]);
		const p3 = await queryActions(t.db, { hostId: 'local', limit: 2, cursor: 2 });
		expect(p3).toEqual({ items: [expect.objectContaining({ id: 1 })], nextCursor: null });
	});

	it.each([
		[{ action: 'watchdog.' }, [4, 2, 1]],
		[{ action: 'watchdog.restart' }, [1]],
		[{ actor: 'session:operator' }, [4, 3]],
		[{ outcome: 'error' as const }, [3]],
		[{ target: 'web', actor: 'watchdog' }, [2, 1]],
		[{ action: '%' }, []],
		[{ action: 'watchdog%.' }, []],
		[{ action: '%.' }, []]
	])('filters %o -> ids %o', async (filter, ids) => {
		expect(
			(await queryActions(t.db, { hostId: 'local', ...filter })).items.map((r) => r.id)
		).toEqual(ids);
	});

	it('lists the facets of this host', async () => {
		expect(await activityFacets(t.db, 'local')).toEqual({
			actions: [
				'containers.restart',
				'watchdog%restart',
				'watchdog.quarantine',
				'watchdog.release',
				'watchdog.restart'
			],
			actors: ['session:operator', 'watchdog']
		});
	});
});
