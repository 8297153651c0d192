// The collector over a real (temporary) cgroup v2 tree and a real SQLite file; the adapter is
// a plain object whose stats-API method counts its calls (the fallback must only run for
// containers whose cgroup cannot be read).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStatsCollector, historyKeyOf, readingFromStatsApi } from './stats-collector';
import type { DockerAdapter } from './adapter';
import type { ContainerInfo } from './model';
import { freshDb } from '../../../../tests/helpers/db';
import { createContainerHistoryStore } from '../db/container-history-store';
import { createLogger } from '../log';

const root = mkdtempSync(path.join(tmpdir(), 'vmw-collector-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const idA = 'a'.repeat(64);
const idB = 'b'.repeat(64);
function writeV2(
	id: string,
	{
		usec,
		current,
		inactive,
		wbytes
	}: { usec: number; current: number; inactive: number; wbytes: number }
) {
	const dir = path.join(root, `system.slice/docker-${id}.scope`);
	mkdirSync(dir, { recursive: true });
	writeFileSync(path.join(dir, 'cpu.stat'), `usage_usec ${usec}\nuser_usec 0\n`);
	writeFileSync(path.join(dir, 'memory.current'), `${current}\n`);
	writeFileSync(path.join(dir, 'memory.stat'), `anon 1\ninactive_file ${inactive}\n`);
	writeFileSync(path.join(dir, 'memory.max'), 'max\n');
	writeFileSync(
		path.join(dir, 'io.stat'),
		`8:0 rbytes=0 wbytes=${wbytes} rios=0 wios=0 dbytes=0 dios=0\n`
	);
	writeFileSync(path.join(dir, 'pids.current'), '4\n');
}
writeFileSync(path.join(root, 'cgroup.controllers'), 'cpu io memory pids\n');

const info = (id: string, name: string, over: Partial<ContainerInfo> = {}): ContainerInfo => ({
	id,
	name,
	image: 'img',
	imageId: 'sha256:img',
	state: 'running',
	status: 'Up',
	health: null,
	failingStreak: 0,
	healthLog: [],
	stack: 'shop',
	service: name,
	labels: {},
	createdAt: 0,
	startedAt: 0,
	finishedAt: null,
	exitCode: null,
	oomKilled: false,
	restartCount: 0,
	memoryLimitBytes: 64 * 1024 * 1024,
	cgroupParent: '',
	pid: 1,
	inspectedAt: 0,
	...over
});

const statsCalls: string[] = [];
const adapter = {
	containers: () => ({ state: 'ok', data: [], at: 0 }),
	subscribe: () => () => undefined,
	api: {
		async containerStats(id: string) {
			statsCalls.push(id);
			return {
				cpu_stats: { cpu_usage: { total_usage: 2_000_000_000 } },
				memory_stats: { usage: 5000, stats: { inactive_file: 1000 }, limit: 8e9 },
				blkio_stats: {
					io_service_bytes_recursive: [
						{ major: 8, minor: 0, op: 'write', value: 777 },
						{ major: 253, minor: 0, op: 'write', value: 777 }
					]
				},
				pids_stats: { current: 2 }
			};
		}
	}
} as unknown as DockerAdapter;

describe('stats collector', () => {
	let t = 1_000_000 * 60_000; // a minute boundary
	let db: Awaited<ReturnType<typeof freshDb>>;
	beforeAll(async () => {
		db = await freshDb();
	});
	afterAll(async () => db.cleanup());

	it('reads cgroups, turns counters into rates, falls back to the stats API only where needed, keeps 1-minute history', async () => {
		const store = createContainerHistoryStore(db.db, 'vm1');
		const c = createStatsCollector({
			adapter,
			cgroupRoot: root,
			sysRoot: path.join(root, 'nosys'),
			procRoot: path.join(root, 'noproc'),
			history: store,
			now: () => t,
			log: createLogger('test')
		});
		const a = info(idA, 'web');
		const b = info(idB, 'db'); // no cgroup directory: stats API
		const stopped = info('c'.repeat(64), 'old', { state: 'exited' });

		writeV2(idA, { usec: 1_000_000, current: 10_000_000, inactive: 4_000_000, wbytes: 0 });
		const first = await c.collect([a, b, stopped]);
		expect(first.map((s) => [s.name, s.source])).toEqual([
			['web', 'cgroup'],
			['db', 'stats-api']
		]);
		expect(statsCalls).toEqual([idB]); // never for a container whose cgroup was read, never for a stopped one
		const webFirst = first[0];
		expect(webFirst).toMatchObject({
			cpuPct: null,
			writeBps: null,
			memUsedBytes: 6_000_000,
			memLimitBytes: 64 * 1024 * 1024,
			pids: 4,
			key: 'shop/web'
		});
		// stats API: used 5000 - 1000; dm 253:0 stacked on 8:0 (major 253 by default) -> 777 once
		expect(first[1]).toMatchObject({
			memUsedBytes: 4000,
			writeBytes: 777,
			pids: 2,
			cpuUsec: 2_000_000
		});

		// 5 s later: +2.5 s of CPU = 50 %; +10 MiB written = 2 MiB/s
		t += 5_000;
		writeV2(idA, {
			usec: 3_500_000,
			current: 12_000_000,
			inactive: 4_000_000,
			wbytes: 10 * 1024 * 1024
		});
		const second = (await c.collect([a, b])).find((s) => s.id === idA)!;
		expect(second.cpuPct).toBeCloseTo(50, 10);
		expect(second.writeBps).toBe(2 * 1024 * 1024);
		expect(c.recent(idA).map((s) => s.ts)).toEqual([t - 5_000, t]);

		// a restarted container's cgroup starts again from 0: no negative rate
		t += 5_000;
		writeV2(idA, { usec: 100, current: 12_000_000, inactive: 4_000_000, wbytes: 0 });
		const reset = (await c.collect([a, b])).find((s) => s.id === idA)!;
		expect(reset.cpuPct).toBeNull();
		expect(reset.writeBps).toBeNull();

		// the next minute closes the first one: one row per key with the minute's means
		t += 60_000;
		await c.collect([a, b]);
		await c.flush();
		const rows = await store.range({ key: 'shop/web', fromMs: 0, toMs: t });
		expect(rows).toHaveLength(1);
		// memory: (6e6 + 8e6 + 8e6) / 3, peak 12e6 - 4e6 = 8e6; cpu: only the one non-null rate (50); write: 2 MiB/s only
		expect(rows[0]).toMatchObject({
			ts: 1_000_000 * 60_000,
			name: 'web',
			memUsedBytes: Math.round(22e6 / 3),
			memPeakBytes: 8_000_000,
			cpuPct: 50,
			writeBps: 2 * 1024 * 1024,
			memLimitBytes: 64 * 1024 * 1024
		});
		expect(c.status()).toMatchObject({
			cgroupVersion: 2,
			fromCgroup: 1,
			fromStatsApi: 1,
			missing: 0
		});
	});

	it('history key: compose project/service, else the name', () => {
		expect(historyKeyOf({ stack: 'shop', service: 'web', name: 'shop-web-1' })).toBe('shop/web');
		expect(historyKeyOf({ stack: null, service: null, name: 'adhoc' })).toBe('adhoc');
	});

	it('maps a v1 stats API answer (total_inactive_file, Read/Write ops)', () => {
		const r = readingFromStatsApi(
			{
				cpu_stats: { cpu_usage: { total_usage: 31_010_374_000 } },
				memory_stats: { usage: 2715648, stats: { total_inactive_file: 2097152, inactive_file: 1 } },
				blkio_stats: {
					io_service_bytes_recursive: [
						{ major: 8, minor: 0, op: 'Read', value: 40960 },
						{ major: 8, minor: 0, op: 'Write', value: 4194304 },
						{ major: 8, minor: 0, op: 'Total', value: 4235264 }
					]
				},
				pids_stats: { current: 3 }
			} as never,
			() => false
		);
		expect(r).toEqual({
			cpuUsec: 31_010_374,
			memUsedBytes: 618496,
			memLimitBytes: null,
			readBytes: 40960,
			writeBytes: 4194304,
			pids: 3
		});
	});
});
