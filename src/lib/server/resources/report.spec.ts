// The report's SQL aggregates on a fresh migrated SQLite file (the pure rules have their own
// specs): median of an even and an odd count, peak falling back to the mean in rows without a
// peak, the last-24 h write sum exact at the hour it cuts, and the 30-s cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDb } from '../../../../tests/helpers/db';
import { createContainerHistoryStore } from '../db/container-history-store';
import { createLogger } from '../log';
import type { ContainerInfo, DockerAdapter, DockerStatus } from '../docker';
import { createResources, dockerDisk } from './report';

const MiB = 1024 * 1024;
const HOUR = 3_600_000;
const NOW = 20_000 * 86_400_000 + 12 * HOUR + 30 * 60_000; // 12:30 UTC

const info = (service: string): ContainerInfo => ({
	id: service.padEnd(64, '0'),
	name: `s-${service}-1`,
	image: 'busybox',
	imageId: 'sha256:x',
	state: 'running',
	status: 'Up',
	health: null,
	failingStreak: 0,
	healthLog: [],
	stack: 's',
	service,
	labels: {},
	createdAt: 0,
	startedAt: 0,
	finishedAt: null,
	exitCode: null,
	oomKilled: false,
	restartCount: 0,
	memoryLimitBytes: null,
	cgroupParent: '',
	pid: 0,
	inspectedAt: 0
});

let db: Awaited<ReturnType<typeof freshDb>>;
beforeAll(async () => {
	db = await freshDb();
});
afterAll(async () => db.cleanup());

describe('resources report (SQLite)', () => {
	it('median, peak, history span and the last-24 h writes from container_history', async () => {
		const store = createContainerHistoryStore(db.db, 'h');
		const row = (
			key: string,
			ts: number,
			mem: number | null,
			peak: number | null,
			writeBps: number | null
		) => ({
			key,
			ts,
			name: key,
			cpuPct: 0,
			memUsedBytes: mem,
			memPeakBytes: peak,
			memLimitBytes: null,
			readBps: 0,
			writeBps
		});
		// a: 4 minutes (even count): means 10, 20, 30, 100 MiB -> median (20 + 30) / 2 = 25 MiB; peaks null except 50 -> peak max(10, 20, 50, 100) = 100
		// b: 3 minutes (odd): means 5, 7, 6 -> median 6 MiB; peak 9 MiB
		await store.insertMany([
			row('s/a', NOW - 4 * 60_000, 10 * MiB, null, null),
			row('s/a', NOW - 3 * 60_000, 20 * MiB, null, null),
			row('s/a', NOW - 2 * 60_000, 30 * MiB, 50 * MiB, null),
			row('s/a', NOW - 60_000, 100 * MiB, null, null),
			row('s/b', NOW - 3 * 60_000, 5 * MiB, 9 * MiB, null),
			row('s/b', NOW - 2 * 60_000, 7 * MiB, 7 * MiB, null),
			row('s/b', NOW - 60_000, 6 * MiB, 6 * MiB, null),
			// writes of c: 1000 B/s in the 12 minutes 12:25..12:36 of yesterday, i.e. 5 before and 7 after the 24-h edge (yesterday 12:30)
			...Array.from({ length: 12 }, (_, i) =>
				row('s/c', NOW - 24 * HOUR - 5 * 60_000 + i * 60_000, MiB, MiB, 1000)
			),
			// and one minute 8 days ago: outside the 7-day window
			row('s/c', NOW - 8 * 86_400_000, 999 * MiB, 999 * MiB, 1e9)
		]);
		let t = NOW;
		const list = { state: 'ok' as const, data: [info('a'), info('b'), info('c')], at: NOW };
		const docker = {
			containers: () => list,
			refresh: async () => list,
			status: () => ({ refreshes: 1 }) as DockerStatus,
			api: { listImages: async () => [] } as unknown as DockerAdapter['api']
		};
		const resources = createResources({
			db: db.db,
			hostId: 'h',
			docker,
			stats: { latest: () => new Map() },
			freeDisk: () => null,
			cgroupRoot: '/nonexistent',
			settings: { headroom: 1.5, ioThresholdBytesPerDay: 10e9, ioFactor: 3, imageMaxAgeDays: 30 },
			now: () => t,
			log: createLogger('test')
		});
		const r = await resources.report();
		const adv = Object.fromEntries(r.advice.map((a) => [a.service, a]));
		expect([adv.a.medianBytes, adv.a.peakBytes, adv.a.historyMs]).toEqual([
			25 * MiB,
			100 * MiB,
			4 * 60_000
		]);
		expect([adv.b.medianBytes, adv.b.peakBytes, adv.b.historyMs]).toEqual([
			6 * MiB,
			9 * MiB,
			3 * 60_000
		]);
		// c's 8-day-old 999 MiB minute is outside the window
		expect(adv.c.peakBytes).toBe(MiB);
		const c = r.io.rows.find((x) => x.key === 's/c')!;
		// 7 minutes × 60 s × 1000 B/s inside the last 24 h; all 12 on yesterday's day
		expect(c.bytesLast24h).toBe(420_000);
		expect(c.days).toEqual([
			{ dayStartMs: NOW - 12 * HOUR - 30 * 60_000 - 86_400_000, bytes: 720_000 }
		]);

		// cached for 30 s: a row added now shows only after that
		await store.insertMany([row('s/b', NOW, 500 * MiB, 500 * MiB, null)]);
		t = NOW + 29_000;
		expect((await resources.report()).advice.find((a) => a.service === 'b')!.peakBytes).toBe(
			9 * MiB
		);
		t = NOW + 30_000;
		expect((await resources.report()).advice.find((a) => a.service === 'b')!.peakBytes).toBe(
			500 * MiB
		);
	});

	it('asked before the Docker list was first refreshed, waits for that refresh instead of caching "No containers" for 30 s', async () => {
		let refreshes = 0;
		const never = {
			state: 'unavailable' as const,
			reason: 'not refreshed yet',
			lastGood: null,
			lastGoodAt: null,
			at: NOW
		};
		const ok = { state: 'ok' as const, data: [info('web')], at: NOW };
		const docker = {
			containers: () => (refreshes === 0 ? never : ok),
			refresh: async () => {
				refreshes++;
				return ok;
			},
			status: () => ({ refreshes }) as DockerStatus,
			api: { listImages: async () => [] } as unknown as DockerAdapter['api']
		};
		const resources = createResources({
			db: db.db,
			hostId: 'first',
			docker,
			stats: { latest: () => new Map() },
			freeDisk: () => null,
			cgroupRoot: '/nonexistent',
			settings: { headroom: 1.5, ioThresholdBytesPerDay: 10e9, ioFactor: 3, imageMaxAgeDays: 30 },
			now: () => NOW,
			log: createLogger('test')
		});
		const r = await resources.report();
		expect([r.docker.state, r.advice.map((a) => a.service)]).toEqual(['ok', ['web']]);
		expect(refreshes).toBe(1);
		// later reports read the adapter's list, they do not refresh it
		await resources.report({ fresh: true });
		expect(refreshes).toBe(1);
	});
});

describe('resources report: the settled hours kept in memory', () => {
	it('answers as a report built from scratch after time moves on, new minutes and a row written late into a kept hour', async () => {
		const store = createContainerHistoryStore(db.db, 'kept');
		// two containers over 8 days, a minute every 7 (the window's start falls inside an hour);
		// memory and writes vary with the minute, some readings missing, so a misplaced hour shows
		const minute = (key: string, i: number) => ({
			key,
			ts: NOW - 8 * 86_400_000 + i * 7 * 60_000,
			name: key,
			cpuPct: 0,
			memUsedBytes: i % 5 === 0 ? null : (i % 97) * MiB,
			memPeakBytes: i % 3 === 0 ? null : (i % 89) * MiB,
			memLimitBytes: null,
			readBps: 0,
			writeBps: i % 4 === 0 ? null : (i % 13) * 100
		});
		const weekOf = (key: string) =>
			Array.from({ length: (8 * 1440) / 7 }, (_, i) => minute(key, i));
		await store.insertMany([...weekOf('s/x'), ...weekOf('s/y')]);
		const list = { state: 'ok' as const, data: [info('x'), info('y')], at: NOW };
		const docker = {
			containers: () => list,
			refresh: async () => list,
			status: () => ({ refreshes: 1 }) as DockerStatus,
			api: { listImages: async () => [] } as unknown as DockerAdapter['api']
		};
		let t = NOW;
		const make = () =>
			createResources({
				db: db.db,
				hostId: 'kept',
				docker,
				stats: { latest: () => new Map() },
				freeDisk: () => null,
				cgroupRoot: '/nonexistent',
				settings: { headroom: 1.5, ioThresholdBytesPerDay: 1e6, ioFactor: 3, imageMaxAgeDays: 30 },
				now: () => t,
				log: createLogger('test')
			});
		const kept = make();
		const same = async () => {
			const [a, b] = [await kept.report({ fresh: true }), await make().report()];
			expect(a.advice).toEqual(b.advice);
			expect(a.io).toEqual(b.io);
			// the io part alone (the alerts engine's) is the same rows
			expect((await make().io()).io).toEqual(b.io);
			return a;
		};
		const first = await same();
		// a 7-day window that starts and ends inside a UTC day touches 8 of them
		expect(first.io.rows.find((r) => r.key === 's/x')!.days.length).toBe(8);

		// 90 minutes later, with new minutes and a late row in an hour kept since the first report
		t = NOW + 90 * 60_000;
		await store.insertMany([
			{
				...minute('s/x', 1),
				ts: NOW - 3 * 86_400_000 + 60_000,
				memUsedBytes: 900 * MiB,
				memPeakBytes: null
			},
			...Array.from({ length: 12 }, (_, i) => ({ ...minute('s/y', i), ts: NOW + i * 7 * 60_000 }))
		]);
		const later = await same();
		expect(later.advice.find((a) => a.service === 'x')!.peakBytes).toBe(900 * MiB);
	});
});

describe('dockerDisk (the disk Docker writes to)', () => {
	const ok = (mount: string, availBytes: number) => ({
		mount,
		figures: {
			ok: true as const,
			totalBytes: 100,
			usedBytes: 100 - availBytes,
			availBytes,
			usedPct: 100 - availBytes
		}
	});
	const bad = (mount: string) => ({ mount, figures: { ok: false as const, error: 'unreadable' } });
	it.each([
		[
			'/var/lib/docker when it is a sampled mount of its own',
			[ok('/', 70), ok('/var/lib/docker', 20)],
			{ mount: '/var/lib/docker', availBytes: 20 }
		],
		[
			'else the first readable mount',
			[bad('/'), ok('/data', 40)],
			{ mount: '/data', availBytes: 40 }
		],
		[
			'the first readable one when /var/lib/docker is unreadable',
			[ok('/', 70), bad('/var/lib/docker')],
			{ mount: '/', availBytes: 70 }
		],
		['null when no disk reads', [bad('/')], null]
	])('%s', (_what, disks, expected) => {
		expect(dockerDisk({ disks } as never)).toEqual(expected);
	});
	it('null before the first sample', () => expect(dockerDisk(null)).toBeNull());
});
