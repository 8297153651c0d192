// The trace over a fresh migrated SQLite file holding two hours of minutes: calm until 03:00,
// then a model load, a container that grows 300 MiB over two minutes, one that restarts, and
// swap growing. The expected figures are derived beside each input.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDb } from '../../../../tests/helpers/db';
import type { Db } from '../db';
import { createContainerHistoryStore } from '../db/container-history-store';
import { hostHistory, ollamaUsage } from '../db/schema';
import { describeTrace } from './attribution';
import { traceMemoryPressure, traceSwapPeak } from './trace';

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
