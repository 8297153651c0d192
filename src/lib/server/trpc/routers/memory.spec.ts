// memory router through createCaller with real services over a fresh SQLite file (the sampler
// not started: the trace ends at the last stored minute).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Services } from '../../services';
import type { Principal } from '../../auth/auth';
import { createTestServices, type TestServices } from '../../../../../tests/helpers/services';
import { containerHistory, hostHistory } from '../../db/schema';

const MIN = 60_000;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

describe('memory router', () => {
	let t: TestServices;
	let services: Services;
	let t0: number;
	const caller = (principal: Principal | null) => t.callerAs(principal);
	const viewer = () => caller({ role: 'viewer', via: 'token' });

	beforeEach(async () => {
		t = await createTestServices({ env: { VMW_HOST_ID: 'vm-test' } });
		services = t.services;
		// the last 30 minutes: calm until 10 minutes ago, then swap +600 MiB while "hog" grows 500 MiB
		t0 = Math.floor(Date.now() / MIN) * MIN - 30 * MIN;
		const hosts = [];
		const containers = [];
		for (let m = 0; m <= 30; m++) {
			const grown = Math.max(0, m - 20) / 10;
			hosts.push({
				hostId: 'vm-test',
				ts: t0 + m * MIN,
				stealPct: 0,
				busyPct: 5,
				load1: 0.2,
				memAvailableBytes: 3 * GiB,
				swapUsedBytes: Math.round(grown * 600 * MiB),
				swapCachedBytes: 0,
				disks: []
			});
			containers.push({
				hostId: 'vm-test',
				key: 'hog/app',
				ts: t0 + m * MIN,
				name: 'hog-app-1',
				cpuPct: 50,
				memUsedBytes: 100 * MiB + Math.round(grown * 500 * MiB),
				memLimitBytes: null,
				readBps: 0,
				writeBps: 0
			});
		}
		await services.db.insert(hostHistory).values(hosts);
		await services.db.insert(containerHistory).values(containers);
	});
	afterEach(async () => {
		await t.stop();
	});

	it('names the grower since the calm minute', async () => {
		const r = await viewer().memory.trace();
		expect(r.lead).toBe('swap');
		// demand = swap +600 MiB (MemAvailable flat); hog +500 MiB; host other +100 MiB
		expect(r.trace!.growers.map((g) => [g.name, g.bytes])).toEqual([
			['hog-app-1', 500 * MiB],
			['host other', 100 * MiB]
		]);
		expect(r.line).toMatch(
			/^Swap \+0\.6 GiB since \d\d:\d\d: hog-app-1 \+500 MiB, host other \+100 MiB$/
		);
	});

	it('takes a window, and refuses the unauthenticated, unknown hosts and a bad window', async () => {
		const r = await viewer().memory.trace({ fromMs: t0 + 25 * MIN, toMs: t0 + 30 * MIN });
		// 25 -> 30: hog 350 -> 600 MiB (+250 MiB)
		expect(r.trace!.growers[0]).toEqual({ kind: 'container', name: 'hog-app-1', bytes: 250 * MiB });
		expect(
			(await viewer().memory.trace({ fromMs: t0 - 120 * MIN, toMs: t0 - 60 * MIN })).trace
		).toBeNull();
		await expect(caller(null).memory.trace()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
		await expect(viewer().memory.trace({ hostId: 'other' })).rejects.toMatchObject({
			code: 'NOT_FOUND'
		});
		await expect(viewer().memory.trace({ fromMs: 10, toMs: 5 })).rejects.toMatchObject({
			code: 'BAD_REQUEST'
		});
		await expect(viewer().memory.trace({ fromMs: 0, toMs: 8 * 86_400_000 })).rejects.toMatchObject({
			code: 'BAD_REQUEST'
		});
	});
});
