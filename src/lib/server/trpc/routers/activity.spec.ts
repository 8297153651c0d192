// activity.list by role (issue 21 item 11): what people typed into a failed login, and client
// addresses, are for admins only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDb } from '../../../../../tests/helpers/db';
import { createCallerFactory, type Context } from '../init';
import { createInnerContext } from '../context';
import { appRouter } from '../router';
import { recordEvent } from '../../audit/actions';
import type { Principal } from '../../auth/auth';

describe('activity.list', () => {
	let t: Awaited<ReturnType<typeof freshDb>>;
	beforeAll(async () => {
		t = await freshDb();
		const row = { hostId: 'vm1', actor: 'anonymous', address: '203.0.113.9' };
		await recordEvent(
			t.db,
			{ ...row, action: 'auth.login', target: 'correct horse battery staple' },
			'error',
			'Wrong name or password.'
		);
		await recordEvent(t.db, { ...row, action: 'auth.login', target: 'alice' }, 'ok', 'done');
		await recordEvent(
			t.db,
			{ ...row, actor: 'session:operator:alice', action: 'containers.restart', target: 'web' },
			'ok',
			'restarted'
		);
	});
	afterAll(() => t?.cleanup());

	const as = (principal: Principal) =>
		createCallerFactory(appRouter)(
			createInnerContext({
				principal,
				services: { db: t.db, config: { hostId: 'vm1' } } as unknown as Context['services']
			})
		);
	const seen = async (p: Principal, filter: { target?: string } = {}) =>
		(await as(p).activity.list(filter)).items.map((r) => [r.action, r.target, r.address]);

	it('a viewer or read token sees no failed-login target and no address; an admin sees both', async () => {
		for (const p of [
			{ role: 'viewer', via: 'token', tokenId: 3 },
			{ role: 'operator', via: 'session', userId: 2, userName: 'op' }
		] as Principal[]) {
			expect(await seen(p)).toEqual([
				['containers.restart', 'web', null],
				['auth.login', 'alice', null],
				['auth.login', null, null]
			]);
			// the target filter is no oracle for what was typed
			expect(await seen(p, { target: 'correct horse battery staple' })).toEqual([]);
		}
		expect(await seen({ role: 'admin', via: 'session', userId: 1, userName: 'admin' })).toEqual([
			['containers.restart', 'web', '203.0.113.9'],
			['auth.login', 'alice', '203.0.113.9'],
			['auth.login', 'correct horse battery staple', '203.0.113.9']
		]);
	});
});
