// Write bytes end to end on a cgroup v2 tree built from tests/fixtures/cgroup-v2 (this kernel
// counts no block I/O per cgroup, so a real container cannot be used): the collector reads
// io.stat every 5 s while wbytes grows by exactly 1 MiB each time, writes the minute to
// container_history, and the resources report says 12 MiB written in that minute.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDb } from '../../../../tests/helpers/db';
import { createContainerHistoryStore } from '../db/container-history-store';
import { createStatsCollector } from '../docker/stats-collector';
import type { ContainerInfo, DockerAdapter } from '../docker';
import { createLogger } from '../log';
import { createResources } from './report';

const MiB = 1024 * 1024;
const FIX = 'tests/fixtures/cgroup-v2';
const root = mkdtempSync(path.join(tmpdir(), 'vmw-res-cgroup-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const id = 'c'.repeat(64);
const dir = path.join(root, `system.slice/docker-${id}.scope`);
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(root, 'cgroup.controllers'), 'cpu io memory pids\n');
for (const f of ['cpu.stat', 'memory.current', 'memory.stat', 'memory.max', 'memory.events'])
	copyFileSync(path.join(FIX, f), path.join(dir, f));
// the fixture's io.stat: 8:0 and the dm volume 253:0 above it carry the same bytes (counted once)
const fixtureIo = readFileSync(path.join(FIX, 'io.stat'), 'utf8');
const BASE = Number(/8:0 .*wbytes=(\d+)/.exec(fixtureIo)![1]);
const setWritten = (extra: number) =>
	writeFileSync(
		path.join(dir, 'io.stat'),
		fixtureIo.replaceAll(`wbytes=${BASE}`, `wbytes=${BASE + extra}`)
	);

const info: ContainerInfo = {
	id,
	name: 'trade-backend-1',
	image: 'acme/backend',
	imageId: 'sha256:x',
	state: 'running',
	status: 'Up',
	health: null,
	failingStreak: 0,
	healthLog: [],
	stack: 'trade',
	service: 'backend',
	labels: {},
	createdAt: 0,
	startedAt: 0,
	finishedAt: null,
	exitCode: null,
	oomKilled: false,
	restartCount: 0,
	memoryLimitBytes: null,
	cgroupParent: '',
	pid: 1,
	inspectedAt: 0
};

describe('write bytes from cgroup io.stat to the I/O report', () => {
	it('12 readings 5 s apart, +1 MiB each: 12 MiB in the minute', async () => {
		const db = await freshDb();
		try {
			const history = createContainerHistoryStore(db.db, 'h');
			const minute = 20_000 * 86_400_000 + 10 * 3_600_000; // 10:00 UTC
			let t = minute;
			const adapter = {
				containers: () => ({ state: 'ok', data: [info], at: t }),
				subscribe: () => () => undefined,
				status: () => ({ refreshes: 1 }),
				api: { listImages: async () => [] }
			} as unknown as DockerAdapter;
			const collector = createStatsCollector({
				adapter,
				cgroupRoot: root,
				sysRoot: path.join(root, 'nosys'),
				procRoot: path.join(root, 'noproc'),
				history,
				now: () => t,
				log: createLogger('test')
			});
			// readings at :00, :05 … :55 and the one at 10:01:00 that closes the minute; the first has no rate
			for (let i = 0; i <= 12; i++) {
				t = minute + i * 5_000;
				setWritten(i * MiB);
				await collector.collect([info]);
			}
			await collector.flush();
			const rows = await history.range({ key: 'trade/backend', fromMs: minute, toMs: minute });
			// 11 rates of 1 MiB / 5 s within 10:00 (the :00 reading has none): mean 209 715.2 B/s
			expect(rows).toHaveLength(1);
			expect(rows[0].writeBps).toBeCloseTo(MiB / 5, 6);
			t = minute + 30 * 60_000;
			const resources = createResources({
				db: db.db,
				hostId: 'h',
				docker: adapter,
				stats: collector,
				freeDisk: () => ({ mount: '/', availBytes: 100e9 }),
				cgroupRoot: root,
				settings: { headroom: 1.5, ioThresholdBytesPerDay: 10e9, ioFactor: 3, imageMaxAgeDays: 30 },
				now: () => t,
				log: createLogger('test')
			});
			const r = await resources.report();
			// the minute's mean rate × 60 s = 12 MiB
			expect(r.io.rows[0].key).toBe('trade/backend');
			expect(r.io.rows[0].bytesLast24h).toBeCloseTo(12 * MiB, 3);
			expect(r.io.rows[0].days.map((d) => [d.dayStartMs, Math.round(d.bytes)])).toEqual([
				[20_000 * 86_400_000, 12 * MiB]
			]);
			// and the fixture's memory.events says oom_kill 1: the running container is flagged
			expect(r.advice[0].oomKills7d).toBe(1);
			expect(r.advice[0].flags).toContain('oom-killed');
			await collector.stop();
		} finally {
			await db.cleanup();
		}
	});
});
