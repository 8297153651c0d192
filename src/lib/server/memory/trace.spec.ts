// The trace over a fresh migrated SQLite file holding two hours of minutes: calm until 03:00,
// then a model load, a container that grows 300 MiB over two minutes, one that restarts, and
// swap growing. The expected figures are derived beside each input.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDb } from '../../../../tests/helpers/db';
import type { Db } from '../db';
import { createContainerHistoryStore } from '../db/container-history-store';
import { hostHistory, ollamaUsage } from '../db/schema';
import { describeTrace } from './attribution';
import { liveContainers, traceMemoryPressure, traceSwapPeak } from './trace';

const H = 'vm-test';
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const T0 = Date.UTC(2026, 11, 7, 3, 0);
const at = (m: number) => T0 + m * 60_000;
// at 03:10: swap +1.2 GiB; demand = phi3 2.6e9 + hog 300 MiB − worker 580 MiB + host other 40 MiB
//   = 2_600_000_000 − 251_658_240 = 2_348_341_760, so MemAvailable falls 2_348_341_760 − 1_288_490_189 = 1_059_851_571
const SWAP_GROWTH = 1_288_490_189;
const MEM_FALL = 1_059_851_571;

async function seed(db: Db, hostId: string, { hog = 300 * MiB } = {}) {
	const containers = createContainerHistoryStore(db, hostId);
	const point = (key: string, name: string, m: number, mem: number) => ({
		key,
		ts: at(m),
		name,
		cpuPct: 1,
		memUsedBytes: mem,
		memLimitBytes: null,
		readBps: 0,
		writeBps: 0
	});
	const batch = [];
	const minutes = [];
	// 40 minutes before 03:00 are enough to show the calm (the lookback reads two hours)
	for (let m = -40; m <= 10; m++) {
		// before 03:00 the odd minutes breathe 1 MiB: the calmest minute is the latest even one, 03:00
		const grown = Math.max(0, m) / 10;
		const memAvailableBytes =
			6 * GiB - (m < 0 && m % 2 !== 0 ? MiB : 0) - Math.round(MEM_FALL * grown);
		minutes.push({
			hostId,
			ts: at(m),
			stealPct: 0,
			busyPct: 10,
			load1: 0.5,
			memAvailableBytes,
			swapUsedBytes: 512 * MiB + Math.round(SWAP_GROWTH * grown),
			swapCachedBytes: 8 * MiB,
			disks: []
		});
		batch.push(
			point('web/api', 'web-api-1', m, 200 * MiB),
			point('db/postgres', 'db-postgres-1', m, 300 * MiB)
		);
		// the hog allocates its 300 MiB over 03:05–03:07
		batch.push(
			point('hog/app', 'hog-app-1', m, 100 * MiB + (m <= 5 ? 0 : m === 6 ? hog / 2 : hog))
		);
		// restarted at 03:05: 700 MiB -> 120 MiB
		batch.push(point('jobs/worker', 'jobs-worker-1', m, m < 5 ? 700 * MiB : 120 * MiB));
	}
	await db.insert(hostHistory).values(minutes);
	await containers.insertMany(batch);
	await db.insert(ollamaUsage).values([
		{
			hostId,
			model: 'phi3:mini',
			startedAt: at(2),
			lastSeenAt: at(10),
			endedAt: null,
			sizeBytes: 2_600_000_000
		},
		// loaded and gone the day before: outside the window
		{
			hostId,
			model: 'llama3.2:3b',
			startedAt: T0 - 86_400_000,
			lastSeenAt: T0 - 80_000_000,
			endedAt: T0 - 79_000_000,
			sizeBytes: 3_400_000_000
		}
	]);
}

describe('traceMemoryPressure', () => {
	let db: Db;
	let cleanup: () => Promise<void>;
	beforeEach(async () => ({ db, cleanup } = await freshDb()));
	afterEach(async () => cleanup());

	it('starts the window at the calmest minute and names the model, the grower and the rest of the host', async () => {
		await seed(db, H);
		// another host's hog must not leak into this host's answer
		await seed(db, 'other', { hog: 5 * GiB });
		const t = await traceMemoryPressure(db, { hostId: H, toMs: at(10) });
		expect(t).not.toBeNull();
		expect(t!.fromMs).toBe(T0);
		expect(t!.swapDeltaBytes).toBe(SWAP_GROWTH);
		expect(t!.growers.map((g) => [g.name, g.bytes])).toEqual([
			['phi3:mini', 2_600_000_000],
			['hog-app-1', 300 * MiB],
			['host other', 40 * MiB]
		]);
		expect(t!.freed.map((g) => [g.name, g.bytes])).toEqual([['jobs-worker-1', 580 * MiB]]);
		expect(describeTrace(t!)).toBe(
			'Swap +1.2 GiB since 03:00: phi3:mini loaded at 03:02 (2.6 GB), hog-app-1 +300 MiB, host other +40 MiB'
		);
	});

	it('takes the window asked for and the fresher current reading as its end', async () => {
		await seed(db, H);
		// 03:06–03:10: the hog went 100 -> 250 -> 400 MiB (first reading 03:06 = 250 MiB): +150 MiB; no model load in it
		const current = {
			at: at(10) + 30_000,
			memAvailableBytes: 6 * GiB - MEM_FALL - 100 * MiB,
			swapUsedBytes: 512 * MiB + SWAP_GROWTH,
			swapCachedBytes: 8 * MiB
		};
		const t = await traceMemoryPressure(db, { hostId: H, fromMs: at(6), toMs: at(11), current });
		expect(t!.fromMs).toBe(at(6));
		expect(t!.toMs).toBe(current.at);
		expect(t!.growers.find((g) => g.kind === 'container')).toEqual({
			kind: 'container',
			name: 'hog-app-1',
			bytes: 150 * MiB
		});
		expect(t!.growers.some((g) => g.kind === 'model')).toBe(false);
	});

	it("ends the containers' side at the collector's live readings when the host's end is live", async () => {
		// As on the reference stack (tests/integration/memory-grower.test.ts): a container grows
		// 2.5 MiB/s from 03:05:00; at 03:06:58 the stored minutes end with 03:05 (its mean: the
		// grower +75 MiB, MemAvailable −75 MiB) while the sampler and the collector read +295 MiB.
		const containers = createContainerHistoryStore(db, H);
		const minutes = [];
		const batch = [];
		for (let m = -10; m <= 5; m++) {
			const grownMean = m === 5 ? 75 * MiB : 0;
			minutes.push({
				hostId: H,
				ts: at(m),
				stealPct: 0,
				busyPct: 10,
				load1: 0.5,
				memAvailableBytes: 6 * GiB - grownMean,
				swapUsedBytes: 0,
				swapCachedBytes: 0,
				disks: []
			});
			const point = (key: string, name: string, mem: number) => ({
				key,
				ts: at(m),
				name,
				cpuPct: 1,
				memUsedBytes: mem,
				memLimitBytes: null,
				readBps: 0,
				writeBps: 0
			});
			// a scaled service's minute is the mean of its replicas (80 and 120 MiB)
			batch.push(
				point('grow/app', 'grow-app-1', 100 * MiB + grownMean),
				point('db/postgres', 'db-postgres-1', 300 * MiB),
				point('shop/worker', 'shop-worker-2', 100 * MiB)
			);
		}
		await db.insert(hostHistory).values(minutes);
		await containers.insertMany(batch);
		const now = at(6) + 58_000;
		const current = {
			at: now,
			memAvailableBytes: 6 * GiB - 295 * MiB,
			swapUsedBytes: 0,
			swapCachedBytes: 0
		};
		const sample = (key: string, name: string, mem: number, ts = now - 400) => ({
			key,
			name,
			ts,
			memUsedBytes: mem
		});
		const live = liveContainers([
			sample('grow/app', 'grow-app-1', 395 * MiB),
			sample('db/postgres', 'db-postgres-1', 300 * MiB),
			sample('shop/worker', 'shop-worker-1', 80 * MiB),
			sample('shop/worker', 'shop-worker-2', 120 * MiB)
		]);
		expect(live!.at).toBe(now - 400);

		// the window starts at 03:04, the calmest (latest flat) minute: +295 MiB, all of it the grower's
		const t = await traceMemoryPressure(db, {
			hostId: H,
			toMs: now,
			current,
			currentContainers: live
		});
		expect(t!.fromMs).toBe(at(4));
		expect(t!.demandBytes).toBe(295 * MiB);
		expect(t!.growers).toEqual([{ kind: 'container', name: 'grow-app-1', bytes: 295 * MiB }]);
		expect(t!.freed).toEqual([]);

		// readings older than 5 minutes before the live host reading are not the end: the stored minutes are
		const stale = liveContainers([sample('grow/app', 'grow-app-1', 395 * MiB, now - 6 * 60_000)]);
		const old = await traceMemoryPressure(db, {
			hostId: H,
			toMs: now,
			current,
			currentContainers: stale
		});
		expect(old!.growers.map((g) => [g.name, g.bytes])).toEqual([
			['host other', 220 * MiB],
			['grow-app-1', 75 * MiB]
		]);
		expect(liveContainers([])).toBeUndefined();
	});

	it('finds the swap peak of the week and traces the way to it', async () => {
		await seed(db, H);
		// swap is highest at 03:10 (the last minute): the trace is the first test's
		const p = await traceSwapPeak(db, { hostId: H, fromMs: at(-7 * 24 * 60), toMs: at(60) });
		expect(p!.peakAt).toBe(at(10));
		expect(p!.trace!.growers[1]).toEqual({
			kind: 'container',
			name: 'hog-app-1',
			bytes: 300 * MiB
		});
		expect(await traceSwapPeak(db, { hostId: 'nobody', fromMs: 0, toMs: at(60) })).toBeNull();
	});

	it('answers null when the history holds fewer than two readings', async () => {
		expect(await traceMemoryPressure(db, { hostId: H, toMs: at(10) })).toBeNull();
	});
});
