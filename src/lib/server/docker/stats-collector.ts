// Per-container CPU, memory, block I/O and PIDs for every running container, refreshed after
// each adapter refresh. Cgroup files first (µs each); Docker's stats API only for containers
// whose cgroup files cannot be read, all such calls in parallel and time-boxed. Counters
// become rates through counters.ts. One minute of samples stays in memory; 1-minute means
// go to a store keyed by compose project/service (history survives re-creation).
import { counterRatePerSec } from '../counters';
import type { Logger } from '../log';
import { createEmitter } from '../emitter';
import type { DockerAdapter } from './adapter';
import type { RawContainerStats } from './api';
import {
	cgroupFiles,
	createKeptFileReader,
	createStackedLayerTest,
	detectLayout,
	filesOf,
	findContainerDir,
	readCgroupFiles,
	sumDeviceIo,
	type CgroupFiles,
	type CgroupLayout,
	type CgroupReading
} from './cgroup';
import type { ContainerInfo } from './model';

export interface ContainerStatsSample {
	id: string;
	name: string;
	/** compose project, null outside compose */
	stack: string | null;
	/** history key: "<project>/<service>" for compose containers, else the name */
	key: string;
	ts: number;
	/** cumulative CPU time, µs (for counters on /metrics) */
	cpuUsec: number;
	source: 'cgroup' | 'stats-api';
	/** % of one CPU (200 = two full CPUs), null on the first reading or after a counter reset */
	cpuPct: number | null;
	memUsedBytes: number;
	memLimitBytes: number | null;
	readBytes: number;
	writeBytes: number;
	readBps: number | null;
	writeBps: number | null;
	pids: number | null;
}

export interface ContainerHistoryPoint {
	key: string;
	/** start of the minute, epoch ms */
	ts: number;
	name: string;
	cpuPct: number | null;
	memUsedBytes: number | null;
	/** highest reading of the minute */
	memPeakBytes?: number | null;
	memLimitBytes: number | null;
	readBps: number | null;
	/** mean write rate of the minute: × 60 = bytes written in it */
	writeBps: number | null;
}

export interface ContainerHistoryStore {
	insertMany(points: ContainerHistoryPoint[]): Promise<void>;
	pruneOlderThan(tsMs: number): Promise<number>;
}

export interface StatsCollectorOptions {
	adapter: DockerAdapter;
	cgroupRoot?: string;
	sysRoot?: string;
	procRoot?: string;
	/** Time box for the stats-API fallback calls of one refresh. */
	fallbackTimeoutMs?: number;
	/** samples kept in memory per container */
	windowMs?: number;
	history?: ContainerHistoryStore;
	historyRetentionMs?: number;
	now?: () => number;
	log: Logger;
}

export interface CollectorStatus {
	collections: number;
	lastCollectAt: number | null;
	lastCollectMs: number | null;
	cgroupVersion: 1 | 2 | null;
	fromCgroup: number;
	fromStatsApi: number;
	/** running containers with no figures in the last collection */
	missing: number;
	lastError: string | null;
}

export const historyKeyOf = (c: Pick<ContainerInfo, 'stack' | 'service' | 'name'>) =>
	c.stack && c.service ? `${c.stack}/${c.service}` : c.name;

/** Docker stats API answer -> the same counters the cgroup reader gives. */
export function readingFromStatsApi(
	s: RawContainerStats,
	isStackedLayer: (device: string) => boolean
): CgroupReading {
	const stats = (s.memory_stats?.stats ?? {}) as Record<string, number | undefined>;
	const inactive = stats.total_inactive_file ?? stats.inactive_file ?? 0;
	const entries = (s.blkio_stats?.io_service_bytes_recursive ?? []) as {
		major: number;
		minor: number;
		op: string;
		value: number;
	}[];
	const perDev = new Map<string, { device: string; readBytes: number; writeBytes: number }>();
	for (const e of entries ?? []) {
		const device = `${e.major}:${e.minor}`;
		const d = perDev.get(device) ?? { device, readBytes: 0, writeBytes: 0 };
		if (/^read$/i.test(e.op)) d.readBytes += e.value;
		else if (/^write$/i.test(e.op)) d.writeBytes += e.value;
		perDev.set(device, d);
	}
	return {
		cpuUsec: (s.cpu_stats?.cpu_usage?.total_usage ?? 0) / 1000,
		memUsedBytes: Math.max(0, (s.memory_stats?.usage ?? 0) - inactive),
		// without a limit the API reports the host's memory: the inspect's limit is the truth
		memLimitBytes: null,
		...sumDeviceIo([...perDev.values()], isStackedLayer),
		pids: s.pids_stats?.current ?? null
	};
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

interface Acc {
	name: string;
	n: number;
	cpu: number;
	cpuN: number;
	mem: number;
	memPeak: number;
	limit: number | null;
	read: number;
	readN: number;
	write: number;
	writeN: number;
}

export function createStatsCollector({
	adapter,
	cgroupRoot = '/sys/fs/cgroup',
	sysRoot = '/sys',
	procRoot = '/proc',
	fallbackTimeoutMs = 4_000,
	windowMs = MINUTE_MS,
	history,
	historyRetentionMs = 7 * 24 * HOUR_MS,
	now = Date.now,
	log
}: StatsCollectorOptions) {
	let layout: CgroupLayout | null = null;
	const isStackedLayer = createStackedLayerTest({ sysRoot, procRoot });
	/** each running container's cgroup files, found once (not joined again at every refresh) */
	const dirs = new Map<string, CgroupFiles>();
	/** and kept open between refreshes (cgroup.ts createKeptFileReader) */
	const files = createKeptFileReader();
	const dropDir = (id: string) => {
		const f = dirs.get(id);
		if (f) files.forget(filesOf(f));
		dirs.delete(id);
	};
	const prev = new Map<string, { reading: CgroupReading; ts: number }>();
	const windows = new Map<string, ContainerStatsSample[]>();
	const latest = new Map<string, ContainerStatsSample>();
	const listeners = createEmitter({ log, what: 'stats subscriber' });
	let minute: { ts: number; byKey: Map<string, Acc> } | null = null;
	let lastPruneAt: number | null = null;
	const pending = new Set<Promise<void>>();
	let chain: Promise<unknown> = Promise.resolve();
	const status: CollectorStatus = {
		collections: 0,
		lastCollectAt: null,
		lastCollectMs: null,
		cgroupVersion: null,
		fromCgroup: 0,
		fromStatsApi: 0,
		missing: 0,
		lastError: null
	};

	function fromCgroup(c: ContainerInfo): CgroupReading | null {
		try {
			layout ??= detectLayout(cgroupRoot);
			status.cgroupVersion = layout.version;
			let own = dirs.get(c.id);
			if (!own) {
				const rel = findContainerDir(layout, c.id, c.cgroupParent);
				if (!rel) return null;
				own = cgroupFiles(layout, rel);
				dirs.set(c.id, own);
			}
			// Docker's limit comes from the inspect; read the cgroup's only when Docker set none
			// (a limit inherited from a parent slice still shows then)
			return readCgroupFiles(own, isStackedLayer, files.read, {
				withLimit: c.memoryLimitBytes === null
			});
		} catch (err) {
			dropDir(c.id);
			log.debug('cgroup read failed', { container: c.name, err });
			return null;
		}
	}

	function toSample(
		c: ContainerInfo,
		reading: CgroupReading,
		ts: number,
		source: ContainerStatsSample['source']
	): ContainerStatsSample {
		const p = prev.get(c.id);
		const elapsedMs = p ? ts - p.ts : 0;
		const rate = (a: number | undefined, b: number) =>
			p && a !== undefined ? counterRatePerSec({ prev: a, next: b, elapsedMs }) : null;
		const cpuRate = rate(p?.reading.cpuUsec, reading.cpuUsec);
		prev.set(c.id, { reading, ts });
		return {
			id: c.id,
			name: c.name,
			stack: c.stack,
			key: historyKeyOf(c),
			ts,
			cpuUsec: reading.cpuUsec,
			source,
			// µs of CPU per second of wall time / 10^6 × 100
			cpuPct: cpuRate === null ? null : cpuRate / 10_000,
			memUsedBytes: reading.memUsedBytes,
			memLimitBytes: c.memoryLimitBytes ?? reading.memLimitBytes,
			readBytes: reading.readBytes,
			writeBytes: reading.writeBytes,
			readBps: rate(p?.reading.readBytes, reading.readBytes),
			writeBps: rate(p?.reading.writeBytes, reading.writeBytes),
			pids: reading.pids
		};
	}

	function track(what: string, call: () => Promise<unknown>) {
		const p = (async () => {
			try {
				await call();
			} catch (err) {
				status.lastError = `history ${what}: ${(err as Error)?.message ?? String(err)}`;
				log.error(`container history ${what} failed`, { err });
			}
		})();
		pending.add(p);
		void p.finally(() => pending.delete(p));
	}

	function feedHistory(samples: ContainerStatsSample[], ts: number) {
		if (!history) return;
		const store = history;
		const minuteTs = Math.floor(ts / MINUTE_MS) * MINUTE_MS;
		if (minute && minute.ts !== minuteTs) {
			const closed = minute;
			const points: ContainerHistoryPoint[] = [...closed.byKey].map(([key, a]) => ({
				key,
				ts: closed.ts,
				name: a.name,
				cpuPct: a.cpuN ? a.cpu / a.cpuN : null,
				memUsedBytes: a.n ? Math.round(a.mem / a.n) : null,
				memPeakBytes: a.n ? a.memPeak : null,
				memLimitBytes: a.limit,
				readBps: a.readN ? a.read / a.readN : null,
				writeBps: a.writeN ? a.write / a.writeN : null
			}));
			if (points.length) track('insert', () => store.insertMany(points));
			minute = null;
		}
		minute ??= { ts: minuteTs, byKey: new Map() };
		for (const s of samples) {
			let a = minute.byKey.get(s.key);
			if (!a)
				minute.byKey.set(
					s.key,
					(a = {
						name: s.name,
						n: 0,
						cpu: 0,
						cpuN: 0,
						mem: 0,
						memPeak: 0,
						limit: null,
						read: 0,
						readN: 0,
						write: 0,
						writeN: 0
					})
				);
			a.name = s.name;
			a.n++;
			a.mem += s.memUsedBytes;
			a.memPeak = Math.max(a.memPeak, s.memUsedBytes);
			a.limit = s.memLimitBytes;
			if (s.cpuPct !== null) {
				a.cpu += s.cpuPct;
				a.cpuN++;
			}
			if (s.readBps !== null) {
				a.read += s.readBps;
				a.readN++;
			}
			if (s.writeBps !== null) {
				a.write += s.writeBps;
				a.writeN++;
			}
		}
		if (lastPruneAt === null || ts - lastPruneAt >= HOUR_MS) {
			lastPruneAt = ts;
			track('prune', () => store.pruneOlderThan(ts - historyRetentionMs));
		}
	}

	async function doCollect(list: ContainerInfo[]): Promise<ContainerStatsSample[]> {
		const t0 = performance.now();
		const ts = now();
		const running = list.filter((c) => c.state === 'running');
		const samples: ContainerStatsSample[] = [];
		const fallback: ContainerInfo[] = [];
		for (let i = 0; i < running.length; i++) {
			// cgroup reads are synchronous (µs each): give the event loop a turn every 25
			// containers so requests are not held for a whole 200-container refresh
			if (i > 0 && i % 25 === 0) await new Promise((r) => setImmediate(r));
			const c = running[i];
			const r = fromCgroup(c);
			if (r) samples.push(toSample(c, r, ts, 'cgroup'));
			else fallback.push(c);
		}
		let fromApi = 0;
		if (fallback.length) {
			// parallel, and the whole batch is time-boxed: a slow daemon cannot stall the refresh
			const deadline = new Promise<'late'>((r) =>
				setTimeout(() => r('late'), fallbackTimeoutMs).unref()
			);
			const results = await Promise.all(
				fallback.map((c) =>
					Promise.race([
						adapter.api.containerStats(c.id).then(
							(s) => ({ c, s }),
							() => null
						),
						deadline.then(() => null)
					])
				)
			);
			const at = now();
			for (const r of results) {
				if (!r) continue;
				samples.push(toSample(r.c, readingFromStatsApi(r.s, isStackedLayer), at, 'stats-api'));
				fromApi++;
			}
		}
		const alive = new Set(running.map((c) => c.id));
		for (const id of [...prev.keys()]) {
			if (alive.has(id)) continue;
			prev.delete(id);
			dropDir(id);
			windows.delete(id);
		}
		latest.clear();
		for (const s of samples) {
			latest.set(s.id, s);
			const w = windows.get(s.id) ?? [];
			w.push(s);
			while (w.length && w[0].ts < ts - windowMs) w.shift();
			windows.set(s.id, w);
		}
		feedHistory(samples, ts);
		Object.assign(status, {
			collections: status.collections + 1,
			lastCollectAt: ts,
			lastCollectMs: performance.now() - t0,
			fromCgroup: samples.length - fromApi,
			fromStatsApi: fromApi,
			missing: running.length - samples.length
		});
		listeners.emit();
		return samples;
	}

	/** Collects for the given list (default: the adapter's current list). Serialised. */
	function collect(list?: ContainerInfo[]): Promise<ContainerStatsSample[]> {
		const run = chain.then(() => {
			const cur = adapter.containers();
			return doCollect(list ?? (cur.state === 'ok' ? cur.data : []));
		});
		chain = run.catch(() => undefined);
		return run;
	}

	let unsubscribe: (() => void) | null = null;
	return {
		collect,
		/** Collect after every successful adapter refresh. */
		start() {
			unsubscribe ??= adapter.subscribe((r) => {
				if (r.state === 'ok')
					collect(r.data).catch((err) => log.error('container stats failed', { err }));
			});
		},
		async stop() {
			unsubscribe?.();
			unsubscribe = null;
			await chain;
			await Promise.all(pending);
			files.close();
		},
		/** The latest sample of each running container, by id. */
		latest: (): ReadonlyMap<string, ContainerStatsSample> => latest,
		/** The last minute of samples of one container, oldest first. */
		recent: (id: string): ContainerStatsSample[] => windows.get(id)?.slice() ?? [],
		subscribe(fn: () => void) {
			return listeners.on(fn);
		},
		status: (): CollectorStatus => ({ ...status }),
		async flush() {
			await chain;
			await Promise.all(pending);
		}
	};
}

export type StatsCollector = ReturnType<typeof createStatsCollector>;
