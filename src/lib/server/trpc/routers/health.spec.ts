// health router through createCaller with a fresh migrated SQLite file and a fixture procRoot.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeProc, type FakeProc } from '../../../../../tests/helpers/proc';
import { createTestServices, type TestServices } from '../../../../../tests/helpers/services';
import type { Services } from '../../services';
import type { Principal } from '../../auth/auth';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

describe('health router', () => {
	let t: TestServices;
	let proc: FakeProc;
	let services: Services;
	const caller = (principal: Principal | null) => t.callerAs(principal, { clientKey: 'test' });

	beforeEach(async () => {
		proc = fakeProc({
			stat: 'stat.vm-steal.t0',
			meminfo: 'meminfo.vm-swap',
			loadavg: 'loadavg.vm'
		});
		t = await createTestServices({ env: { VMW_PROC_ROOT: proc.dir, VMW_HOST_ID: 'vm-test' } });
		services = t.services;
	});
	afterEach(async () => {
		await t.stop();
		proc.cleanup();
	});

	it('refuses a caller without credentials', async () => {
		await expect(caller(null).health.snapshot()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
	});

	it('classifies the fixture VM: 8.25 % steal is WARN, 1.4 GiB swap is OK, SwapCached 245 MiB is flagged', async () => {
		await services.sampler.sampleOnce();
		proc.use('stat', 'stat.vm-steal.t1');
		await services.sampler.sampleOnce();

		const snap = await caller({ role: 'viewer', via: 'token' }).health.snapshot();

		expect(snap.hostId).toBe('vm-test');
		// steal delta 33 jiffies of a 400-jiffy total delta (4 CPUs x 100 Hz x 1 s) = 8.25 %
		expect(snap.steal).toMatchObject({ ok: true, status: 'WARN', stealPct: 8.25 });
		expect(snap.swap).toMatchObject({ ok: true, status: 'OK', swapCachedWarning: true });
		if (!snap.swap.ok) throw new Error('swap not ok');
		expect(snap.swap.swapUsedBytes / GiB).toBeCloseTo(1.4, 2);
		expect(snap.swap.swapCachedBytes / MiB).toBeCloseTo(245, 0);
		expect(snap.memory).toMatchObject({ ok: true, status: 'OK' });
		expect(snap.status).toBe('WARN');
		expect(snap.reasons.join('\n')).toMatch(/steal/i);
		expect(snap.reasons.join('\n')).toMatch(/SwapCached/);
		expect(snap.stale).toBeDefined(); // the sampler loop is not running in this test
		// its own id is the same snapshot; another host's is NOT_FOUND
		expect(
			await caller({ role: 'viewer', via: 'token' }).health.snapshot({ hostId: 'vm-test' })
		).toBe(snap);
		await expect(
			caller({ role: 'viewer', via: 'token' }).health.snapshot({ hostId: 'vm-other' })
		).rejects.toMatchObject({ code: 'NOT_FOUND' });
	});

	it('history returns stored minutes, validates its input', async () => {
		await services.history.insert({
			ts: Date.now() - 120_000,
			stealPct: 4,
			busyPct: 10,
			load1: 1,
			memAvailableBytes: GiB,
			swapUsedBytes: 0,
			swapCachedBytes: 0,
			disks: [{ mount: '/', usedPct: 40 }]
		});
		const res = await caller({ role: 'viewer', via: 'token' }).health.history({ range: '1h' });
		expect(res.points.map((p) => p.stealPct)).toEqual([4]);
		await expect(caller({ role: 'viewer', via: 'token' }).health.history({})).rejects.toMatchObject(
			{ code: 'BAD_REQUEST' }
		);
		await expect(
			caller({ role: 'viewer', via: 'token' }).health.history({ fromMs: 10, toMs: 5 })
		).rejects.toMatchObject({ code: 'BAD_REQUEST' });
		expect(
			(
				await caller({ role: 'viewer', via: 'token' }).health.history({
					hostId: 'vm-test',
					range: '1h'
				})
			).points
		).toHaveLength(1);
		await expect(
			caller({ role: 'viewer', via: 'token' }).health.history({ hostId: 'vm-other', range: '1h' })
		).rejects.toMatchObject({ code: 'NOT_FOUND' });
		await expect(
			caller({ role: 'viewer', via: 'token' }).health.history({ range: '1h', extra: 1 } as never)
		).rejects.toMatchObject({ code: 'BAD_REQUEST' });
	});

	it('sampleNow: refused for the read-only token, for an operator takes a sample and records the action', async () => {
		await expect(caller({ role: 'viewer', via: 'token' }).health.sampleNow()).rejects.toMatchObject(
			{ code: 'FORBIDDEN' }
		);
		expect(services.sampler.stats().samples).toBe(0);

		const snap = await caller({ role: 'admin', via: 'session' }).health.sampleNow();

		expect(services.sampler.stats().samples).toBe(1);
		expect(snap.ts).toBe(new Date(services.sampler.latest()!.ts).toISOString());
		// the refused call is on record too (denied), then the operator's sample
		const rows = await services.db.query.actions.findMany({ orderBy: (a, { asc }) => [asc(a.id)] });
		expect(rows.map((r) => [r.action, r.outcome])).toEqual([
			['health.sampleNow', 'denied'],
			['health.sampleNow', 'ok']
		]);
		expect(rows[1]).toMatchObject({
			actor: expect.stringMatching(/^session:admin/),
			address: 'test'
		});
		expect(rows[1].result).toBe(`sample at ${snap.ts}`);
	});
});
