// timeline router through createCaller with real services over a fresh SQLite file.
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Services } from '../../services';
import type { Principal } from '../../auth/auth';
import { createTestServices, type TestServices } from '../../../../../tests/helpers/services';
import { actions } from '../../db/schema';

describe('timeline router', () => {
	let t: TestServices;
	let services: Services;
	const caller = (principal: Principal | null) => t.callerAs(principal);
	const viewer = () => caller({ role: 'viewer', via: 'token' });
	const restart = (ts: number, target: string) => ({
		hostId: 'vm-test',
		ts,
		actor: 'watchdog',
		action: 'watchdog.restart',
		target,
		input: '{"key":"shop/api"}',
		outcome: 'ok' as const,
		result: 'restarted',
		endedAt: ts
	});

	beforeEach(async () => {
		t = await createTestServices({ env: { VMW_HOST_ID: 'vm-test' } });
		services = t.services;
	});
	afterEach(async () => {
		await t.stop();
	});

	it('lists the last 24 h by default and pages with the cursor', async () => {
		const now = Date.now();
		await services.db
			.insert(actions)
			.values([
				restart(now - 3_600_000, 'a'),
				restart(now - 7_200_000, 'b'),
				restart(now - 2 * 86_400_000, 'too-old')
			]);
		const first = await viewer().timeline.list({ limit: 1 });
		expect(first.items.map((e) => e.container)).toEqual(['a']);
		const second = await viewer().timeline.list({
			limit: 1,
			cursor: first.nextCursor!,
			from: first.fromMs,
			to: first.toMs
		});
		expect(second.items.map((e) => e.container)).toEqual(['b']);
		expect(second.nextCursor).toBeNull();
		expect(
			(
				await viewer().timeline.list({
					from: now - 3 * 86_400_000,
					kinds: ['watchdog'],
					stack: 'shop'
				})
			).items
		).toHaveLength(3);
	});

	it('counts entries per kind and slice for the strip chart, with the same range rules', async () => {
		const now = Date.now();
		await services.db
			.insert(actions)
			.values([
				restart(now - 3 * 3_600_000 + 600_000, 'a'),
				restart(now - 3 * 3_600_000 + 660_000, 'b'),
				restart(now - 600_000, 'c')
			]);
		// a day in 24 slices of an hour (and 1 ms): a and b in the 22nd, c in the last
		const day = { from: now - 86_400_000, to: now };
		const counts = await viewer().timeline.counts({ ...day, buckets: 24 });
		expect(counts.bucketMs).toBe(3_600_001);
		expect(counts.cells).toEqual([
			{ kind: 'watchdog', bucket: 21, count: 2, severity: 'WARN' },
			{ kind: 'watchdog', bucket: 23, count: 1, severity: 'WARN' }
		]);
		expect((await viewer().timeline.counts({ ...day, kinds: ['oom'] })).cells).toEqual([]);
		// the last 24 h by default, 100 slices
		const byDefault = await viewer().timeline.counts();
		expect([byDefault.toMs - byDefault.fromMs, byDefault.bucketMs]).toEqual([86_400_000, 864_001]);
		await expect(caller(null).timeline.counts()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
		await expect(viewer().timeline.counts({ buckets: 501 })).rejects.toMatchObject({
			code: 'BAD_REQUEST'
		});
		await expect(viewer().timeline.counts({ from: 0, to: 40 * 86_400_000 })).rejects.toMatchObject({
			code: 'BAD_REQUEST'
		});
	});

	it('refuses the unauthenticated, unknown hosts, bad cursors, kinds and ranges', async () => {
		await expect(caller(null).timeline.list()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
		await expect(viewer().timeline.list({ hostId: 'other' })).rejects.toMatchObject({
			code: 'NOT_FOUND'
		});
		await expect(viewer().timeline.list({ cursor: 'x' })).rejects.toMatchObject({
			code: 'BAD_REQUEST'
		});
		await expect(viewer().timeline.list({ kinds: ['nope' as never] })).rejects.toMatchObject({
			code: 'BAD_REQUEST'
		});
		await expect(viewer().timeline.list({ from: 10, to: 5 })).rejects.toMatchObject({
			code: 'BAD_REQUEST'
		});
		await expect(viewer().timeline.list({ from: 0, to: 40 * 86_400_000 })).rejects.toMatchObject({
			code: 'BAD_REQUEST'
		});
	});

	it('live pushes entries recorded after it started, once', async () => {
		const ac = new AbortController();
		const live = await t
			.callerAs({ role: 'viewer', via: 'token' }, { signal: ac.signal })
			.timeline.live();
		const it = live[Symbol.asyncIterator]();
		const next = it.next();
		await new Promise((r) => setTimeout(r, 50));
		await services.db.insert(actions).values(restart(Date.now(), 'fresh'));
		const got = await next;
		expect((got.value as { container: string }[]).map((e) => e.container)).toEqual(['fresh']);
		// quiet polls (every 5 s) leave no abort listener behind on the subscription's signal: only
		// the pending wait's own one is there
		const quiet = it.next();
		await new Promise((r) => setTimeout(r, 5_600));
		expect(getEventListeners(ac.signal, 'abort').length).toBeLessThanOrEqual(1);
		ac.abort();
		await quiet;
		await it.return?.();
	}, 30_000);
});
