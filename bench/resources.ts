// Resources in `npm run bench`: resources.report (not cached) over a full 7-day, 1-minute
// container_history of 20 containers (201 600 rows) in a fresh SQLite file: the SQL aggregates
// (peak, median per key, hourly write sums) and the pure advice/io/freshness/cost behind them.
// Target: p50 < 1 s for the whole report (the page and ioAnomalies() call it, cached 30 s).
import { freshDb } from '../tests/helpers/db';
import { createContainerHistoryStore } from '../src/lib/server/db/container-history-store';
import { createResources } from '../src/lib/server/resources/report';
import { createLogger } from '../src/lib/server/log';
import type { ContainerInfo, DockerAdapter } from '../src/lib/server/docker';

const MiB = 1024 * 1024;

export async function benchResources({
	containers = 20,
	runs = 10
}: { containers?: number; runs?: number } = {}): Promise<boolean> {
	const { db, cleanup } = await freshDb();
	try {
		const store = createContainerHistoryStore(db, 'bench');
		const now = Math.floor(Date.now() / 60_000) * 60_000;
		const minutes = 7 * 24 * 60;
		const list: ContainerInfo[] = [];
		const t0 = performance.now();
		for (let c = 0; c < containers; c++) {
			const stack = `stack${c % 4}`;
			const service = `svc${c}`;
			list.push({
				id: `${c}`.padStart(64, '0'),
				name: `${stack}-${service}-1`,
				image: 'busybox',
				imageId: 'sha256:x',
				state: 'running',
				status: 'Up',
				health: null,
				failingStreak: 0,
				healthLog: [],
				stack,
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
				inspectedAt: now
			});
			const points = Array.from({ length: minutes }, (_, i) => ({
				key: `${stack}/${service}`,
				ts: now - (minutes - i) * 60_000,
				name: `${stack}-${service}-1`,
				cpuPct: 1,
				memUsedBytes: (20 + ((i * 7) % 50)) * MiB,
				memPeakBytes: (25 + ((i * 7) % 50)) * MiB,
				memLimitBytes: null,
				readBps: 0,
				writeBps: 1000 + (i % 300)
			}));
			await store.insertMany(points);
		}
		const fillS = (performance.now() - t0) / 1000;
		const docker = {
			containers: () => ({ state: 'ok' as const, data: list, at: now }),
			refresh: async () => ({ state: 'ok' as const, data: list, at: now }),
			status: () => ({ refreshes: 1 }) as ReturnType<DockerAdapter['status']>,
			api: { listImages: async () => [] } as unknown as DockerAdapter['api']
		};
		const resources = createResources({
			db,
			hostId: 'bench',
			docker,
			stats: { latest: () => new Map() },
			freeDisk: () => ({ mount: '/', availBytes: 100e9 }),
			cgroupRoot: '/nonexistent',
			settings: { headroom: 1.5, ioThresholdBytesPerDay: 10e9, ioFactor: 3, imageMaxAgeDays: 30 },
			log: createLogger('bench')
		});
		await resources.report({ fresh: true }); // warm-up
		const times: number[] = [];
		for (let i = 0; i < runs; i++) {
			const s = performance.now();
			const r = await resources.report({ fresh: true });
			times.push(performance.now() - s);
			if (r.advice.length !== containers)
				throw new Error(`expected ${containers} advice rows, got ${r.advice.length}`);
		}
		times.sort((a, b) => a - b);
		const p50 = times[Math.floor(times.length / 2)];
		const max = times[times.length - 1];
		const met = p50 < 1000;
		console.log(
			'\n resources.report (7 d × 1 min history)              p50 / max              target'
		);
		console.log(
			' --------------------------------------------------- ---------------------- --------'
		);
		console.log(
			` ${`${containers} containers, ${containers * minutes} rows (filled in ${fillS.toFixed(1)} s)`.padEnd(51)} ${`${p50.toFixed(0)} / ${max.toFixed(0)} ms`.padStart(22)} < 1000   ${met ? 'ok' : 'MISSED'}`
		);
		return met;
	} finally {
		await cleanup();
	}
}

if (process.argv[1]?.endsWith('resources.ts')) await benchResources();
