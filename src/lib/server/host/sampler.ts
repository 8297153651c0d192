// The host sampler: reads procfs + statfs every `intervalMs`, keeps the last hour in a ring
// buffer, derives CPU steal from consecutive samples (never by sleeping, DESIGN decision 5)
// and hands each sample to minute-history.ts, whose 1-minute means go to a HistoryStore.
import type { CpuFigures, HistoryPoint, HostSample, Metric } from '$lib/health';
import type { Logger } from '../log';
import { createEmitter } from '../emitter';
import type { LastGood } from './classify';
import { cpuUsage } from './cpu';
import { readDisk } from './disk';
import type { ProcStat } from './proc-parsers';
import { readHostSync } from './read-host';
import { createMinuteHistory } from './minute-history';
import { historyPoint } from '$lib/history-point';
import { isFresh } from '../health/snapshot';

/** Where 1-minute history goes; db/history-store.ts implements it over SQLite. */
export interface HistoryStore {
	insert(p: HistoryPoint): Promise<void>;
	/** Deletes points with ts < tsMs; resolves to how many were deleted. */
	pruneOlderThan(tsMs: number): Promise<number>;
}

export interface SamplerOptions {
	/** '/proc' on the host, '/host/proc' in the container, a temp dir in tests. */
	procRoot?: string;
	/** Prefix under which the host's mounts are visible ('/' or '/host/rootfs'). */
	rootfs?: string;
	/** Host paths of the filesystems to watch. */
	mounts?: string[];
	intervalMs?: number;
	/** Samples kept in memory; defaults to one hour's worth (720 at 5 s). */
	ringSize?: number;
	history?: HistoryStore;
	historyRetentionMs?: number;
	/** Clock for sample timestamps (epoch ms); injectable for tests. */
	now?: () => number;
	log: Logger;
}

export interface SamplerStats {
	/** Samples taken since creation. */
	samples: number;
	lastSampleAt: number | null;
	/**
	 * Most recent error of any kind (a metric, a history write, a sampling bug); cleared when
	 * a sample reads every metric cleanly.
	 */
	lastError: string | null;
	/** When lastError happened (epoch ms). */
	lastErrorAt: number | null;
	running: boolean;
}

export interface Sampler {
	start(): Promise<void>;
	/** Stops the timer and waits for the in-flight sample and pending history writes. */
	stop(): Promise<void>;
	/** Takes one sample now (serialised with the timer's samples) and returns it. */
	sampleOnce(): Promise<HostSample>;
	latest(): HostSample | null;
	/** When each metric last read successfully (epoch ms), null if never. */
	lastGood(): LastGood;
	/** Samples with ts >= sinceMs (all kept samples without it), oldest first. */
	recent(sinceMs?: number): HostSample[];
	/** Called with every new sample; returns the unsubscribe function. */
	subscribe(fn: (sample: HostSample) => void): () => void;
	stats(): SamplerStats;
	/** For /healthz: ok while running with a fresh sample (the app's own health). */
	health(): { ok: boolean; detail: string };
	/** Waits for history writes and prunes already started. */
	flush(): Promise<void>;
}

const HOUR_MS = 3_600_000;
const DEFAULT_RETENTION_MS = 7 * 24 * HOUR_MS;

export function createSampler({
	procRoot = '/proc',
	rootfs = '/',
	mounts = ['/'],
	intervalMs = 5000,
	ringSize = Math.max(1, Math.ceil(HOUR_MS / intervalMs)),
	history,
	historyRetentionMs = DEFAULT_RETENTION_MS,
	now = Date.now,
	log
}: SamplerOptions): Sampler {
	if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be > 0, got ${intervalMs}`);
	if (!(Number.isInteger(ringSize) && ringSize >= 1))
		throw new RangeError(`ringSize must be an integer >= 1, got ${ringSize}`);

	const ring: HostSample[] = [];
	let head = 0; // next write position once the ring is full
	let prevStat: { stat: ProcStat; ts: number } | null = null;
	const good: LastGood = {
		cpu: null,
		load: null,
		memory: null,
		disks: Object.fromEntries(mounts.map((m) => [m, null]))
	};
	const listeners = createEmitter<HostSample>({ log, what: 'sample subscriber' });
	/** Last error logged per metric, so a persisting failure is logged once, not every 5 s. */
	const failing = new Map<string, string>();
	const pending = new Set<Promise<void>>();
	const minutes = createMinuteHistory();
	let lastPruneAt: number | null = null;
	let samples = 0;
	let lastSampleAt: number | null = null;
	let lastError: string | null = null;
	let lastErrorAt: number | null = null;
	let running = false;
	let timer: ReturnType<typeof setTimeout> | null = null;
	let chain: Promise<unknown> = Promise.resolve();

	function setError(at: number, message: string): void {
		lastError = message;
		lastErrorAt = at;
	}

	function noteMetric(name: string, metric: Metric<object>, ts: number): void {
		if (metric.ok) {
			if (failing.delete(name)) log.info('metric recovered', { metric: name });
			return;
		}
		setError(ts, metric.error);
		if (failing.get(name) !== metric.error) {
			failing.set(name, metric.error);
			log.warn('metric failed', { metric: name, error: metric.error });
		}
	}

	/** Runs a store call without ever letting it throw into, or hold up, sampling. */
	function track(what: string, call: () => Promise<unknown>): void {
		const p = (async () => {
			try {
				await call();
			} catch (err) {
				setError(now(), `history ${what}: ${(err as Error)?.message ?? String(err)}`);
				log.error(`history ${what} failed`, { err });
			}
		})();
		pending.add(p);
		void p.finally(() => pending.delete(p));
	}

	function feedHistory(sample: HostSample): void {
		if (!history) return;
		const store = history;
		// The first sample of a new minute closes the previous one.
		const closed = minutes.add(historyPoint(sample.ts, sample));
		if (closed) track('insert', () => store.insert(closed));

		if (lastPruneAt === null || sample.ts - lastPruneAt >= HOUR_MS) {
			lastPruneAt = sample.ts;
			const cutoffMs = sample.ts - historyRetentionMs;
			track('prune', async () => {
				const deleted = await store.pruneOlderThan(cutoffMs);
				log.debug('history pruned', { cutoff: new Date(cutoffMs).toISOString(), deleted });
			});
		}
	}

	async function takeSample(): Promise<HostSample> {
		const ts = now();
		const reading = readHostSync({ procRoot });
		const disks = await Promise.all(
			mounts.map(async (mount) => ({ mount, figures: await readDisk({ mount, rootfs }) }))
		);

		let cpu: Metric<CpuFigures>;
		if (reading.cpu.ok) {
			if (prevStat) {
				const usage = cpuUsage(prevStat.stat, reading.cpu);
				cpu = { ok: true, ...usage, intervalMs: ts - prevStat.ts };
			} else {
				// First reading: steal needs a second one, and we do not sleep to get it.
				cpu = { ok: true, stealPct: null, busyPct: null, intervalMs: null, perCpu: [] };
			}
			prevStat = { stat: reading.cpu, ts };
		} else {
			// Keep the previous good reading: the next good one measures over the longer gap.
			cpu = reading.cpu;
		}

		const sample: HostSample = { ts, cpu, load: reading.load, memory: reading.memory, disks };

		noteMetric('cpu', cpu, ts);
		noteMetric('load', sample.load, ts);
		noteMetric('memory', sample.memory, ts);
		const clean = cpu.ok && sample.load.ok && sample.memory.ok && disks.every((d) => d.figures.ok);
		if (clean) {
			lastError = null;
			lastErrorAt = null;
		}
		if (cpu.ok) good.cpu = ts;
		if (sample.load.ok) good.load = ts;
		if (sample.memory.ok) good.memory = ts;
		for (const d of disks) {
			noteMetric(`disk ${d.mount}`, d.figures, ts);
			if (d.figures.ok) good.disks[d.mount] = ts;
		}

		if (ring.length < ringSize) ring.push(sample);
		else {
			ring[head] = sample;
			head = (head + 1) % ringSize;
		}
		samples++;
		lastSampleAt = ts;

		feedHistory(sample);
		listeners.emit(sample);
		return sample;
	}

	function sampleOnce(): Promise<HostSample> {
		const run = chain.then(takeSample);
		chain = run.catch(() => undefined);
		return run;
	}

	function schedule(delayMs: number): void {
		timer = setTimeout(tick, delayMs);
		timer.unref();
	}

	async function tick(): Promise<void> {
		timer = null;
		const startedAt = performance.now();
		try {
			await sampleOnce();
		} catch (err) {
			// takeSample captures metric errors itself; this is a bug, not a bad file.
			setError(now(), `sample failed: ${(err as Error)?.message ?? String(err)}`);
			log.error('sample failed', { err });
		}
		if (running) schedule(Math.max(0, intervalMs - (performance.now() - startedAt)));
	}

	function ordered(): HostSample[] {
		return ring.length < ringSize ? ring.slice() : [...ring.slice(head), ...ring.slice(0, head)];
	}

	return {
		/** Takes the first sample now and resolves when it is in, so that what starts after the
		 * sampler (the score) never reads an empty ring; then samples every interval. */
		start() {
			if (running) return Promise.resolve();
			running = true;
			return tick();
		},
		async stop() {
			running = false;
			if (timer) clearTimeout(timer);
			timer = null;
			await chain;
			await Promise.all(pending);
		},
		sampleOnce,
		latest() {
			if (ring.length === 0) return null;
			return ring.length < ringSize
				? ring[ring.length - 1]
				: ring[(head - 1 + ringSize) % ringSize];
		},
		lastGood() {
			return { ...good, disks: { ...good.disks } };
		},
		recent(sinceMs?: number) {
			const all = ordered();
			return sinceMs === undefined ? all : all.filter((s) => s.ts >= sinceMs);
		},
		subscribe(fn) {
			const off = listeners.on(fn);
			return () => void off();
		},
		stats() {
			return { samples, lastSampleAt, lastError, lastErrorAt, running };
		},
		health() {
			const ok = running && isFresh(lastSampleAt, intervalMs, now());
			const detail = ok
				? `last sample ${new Date(lastSampleAt!).toISOString()}`
				: `${running ? 'running' : 'stopped'}; last sample ${lastSampleAt ? new Date(lastSampleAt).toISOString() : 'never'}${lastError ? `; ${lastError}` : ''}`;
			return { ok, detail };
		},
		async flush() {
			while (pending.size) await Promise.all(pending);
		}
	};
}
