// GET /metrics: the sampler's figures and the process's own, in Prometheus text format.
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';
import { Registry, Gauge, collectDefaultMetrics } from 'prom-client';
import type { HostSample, Thresholds } from '$lib/health';
import { classify } from './host/classify';

const statusValue = { OK: 0, WARN: 1, CRIT: 2, UNKNOWN: 3 } as const;

export function createMetrics({
	latest,
	thresholds,
	hostId
}: {
	latest: () => HostSample | null;
	thresholds: Thresholds;
	hostId: string;
}) {
	const registry = new Registry();
	registry.setDefaultLabels({ host_id: hostId });
	// prom-client's event-loop histogram wakes the loop every 10 ms (monitorEventLoopDelay): 0.6 % of
	// a core in an idle process, more than everything else it does (issue 24, decision 0025). Its
	// timer is pushed out of reach and its figures come from loopLag() instead, under the same names.
	collectDefaultMetrics({
		register: registry,
		prefix: 'vmwarden_',
		eventLoopMonitoringPrecision: NEVER_MS
	});
	const lag = loopLag();
	const stat = (
		name: string,
		help: string,
		read: (h: RecordableHistogram) => number,
		last = false
	) =>
		new Gauge({
			name: `vmwarden_nodejs_eventloop_lag_${name}_seconds`,
			help,
			registers: [registry],
			collect() {
				// an empty histogram (two scrapes within a second) reads as NaN (mean) or 9.2e18 (min): 0 instead
				if (lag.histogram.count > 0) this.set(read(lag.histogram) / 1e9);
				else this.reset();
				if (last) lag.histogram.reset(); // each scrape reports the time since the last one, as prom-client's did
			}
		});
	for (const name of ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'])
		registry.removeSingleMetric(`vmwarden_nodejs_eventloop_lag_${name}_seconds`);
	stat(
		'min',
		'The smallest event-loop delay since the last scrape (drift of a 1 s timer)',
		(h) => h.min
	);
	stat(
		'max',
		'The largest event-loop delay since the last scrape (drift of a 1 s timer)',
		(h) => h.max
	);
	stat(
		'mean',
		'The mean event-loop delay since the last scrape (drift of a 1 s timer)',
		(h) => h.mean
	);
	stat(
		'stddev',
		'The standard deviation of the event-loop delay since the last scrape',
		(h) => h.stddev
	);
	stat('p50', 'The median event-loop delay since the last scrape (drift of a 1 s timer)', (h) =>
		h.percentile(50)
	);
	stat(
		'p90',
		'The 90th percentile event-loop delay since the last scrape (drift of a 1 s timer)',
		(h) => h.percentile(90)
	);
	stat(
		'p99',
		'The 99th percentile event-loop delay since the last scrape (drift of a 1 s timer)',
		(h) => h.percentile(99),
		true
	);
	// prom-client names three gauges *_total, which `promtool check metrics` rejects (a _total
	// suffix means a counter). Each is the sum of its per-type gauge (…_active_handles{type}), kept.
	for (const name of [
		'nodejs_active_handles_total',
		'nodejs_active_requests_total',
		'nodejs_active_resources_total'
	])
		registry.removeSingleMetric(`vmwarden_${name}`);

	// Each gauge reads the latest sample when scraped; a metric that errored is simply absent.
	const gauge = (
		name: string,
		help: string,
		read: (s: HostSample, g: Gauge) => void,
		labelNames: string[] = []
	) =>
		new Gauge({
			name,
			help,
			labelNames,
			registers: [registry],
			collect() {
				this.reset();
				const s = latest();
				if (s) read(s, this);
			}
		});

	gauge(
		'vmwarden_cpu_steal_percent',
		'CPU steal over the last sampling interval, all CPUs',
		(s, g) => {
			if (s.cpu.ok && s.cpu.stealPct !== null) g.set(s.cpu.stealPct);
		}
	);
	gauge(
		'vmwarden_cpu_busy_percent',
		'Non-idle CPU over the last sampling interval, all CPUs',
		(s, g) => {
			if (s.cpu.ok && s.cpu.busyPct !== null) g.set(s.cpu.busyPct);
		}
	);
	gauge('vmwarden_load1', '1-minute load average', (s, g) => {
		if (s.load.ok) g.set(s.load.load1);
	});
	gauge('vmwarden_memory_available_bytes', 'MemAvailable', (s, g) => {
		if (s.memory.ok) g.set(s.memory.memAvailableBytes);
	});
	gauge('vmwarden_swap_used_bytes', 'SwapTotal - SwapFree', (s, g) => {
		if (s.memory.ok) g.set(s.memory.swapUsedBytes);
	});
	gauge('vmwarden_swap_cached_bytes', 'SwapCached', (s, g) => {
		if (s.memory.ok) g.set(s.memory.swapCachedBytes);
	});
	gauge(
		'vmwarden_disk_used_percent',
		'Used share of each watched mount (df formula)',
		(s, g) => {
			for (const d of s.disks) if (d.figures.ok) g.set({ mount: d.mount }, d.figures.usedPct);
		},
		['mount']
	);
	gauge(
		'vmwarden_health_status',
		'Status per dimension: 0 OK, 1 WARN, 2 CRIT, 3 UNKNOWN',
		(s, g) => {
			const snap = classify({ sample: s, thresholds, hostId });
			for (const dim of ['steal', 'load', 'memory', 'swap'] as const)
				g.set({ dimension: dim }, statusValue[snap[dim].status]);
			for (const d of snap.disks) g.set({ dimension: `disk:${d.mount}` }, statusValue[d.status]);
		},
		['dimension']
	);
	gauge('vmwarden_sample_timestamp_seconds', 'Time of the latest host sample', (s, g) =>
		g.set(s.ts / 1000)
	);

	return Object.assign(registry, { stopLoopLag: lag.stop });
}

/** Longest timer Node accepts (~24.8 days): prom-client's own event-loop histogram never fires. */
const NEVER_MS = 2 ** 31 - 1;

/**
 * Event-loop lag as the drift of one unref'd timer a second: how late the loop ran a callback
 * that was due. One wake-up a second costs nothing measurable at idle; a block of the loop shows
 * as the drift of the tick that waited on it (a block shorter than the interval is seen when a
 * tick falls due inside it, so p99/max over a scrape interval catch the long ones).
 */
export function loopLag(intervalMs = 1000) {
	const histogram = createHistogram();
	let due = performance.now() + intervalMs;
	const timer = setInterval(() => {
		const now = performance.now();
		histogram.record(Math.max(1, Math.round((now - due) * 1e6))); // ns; the histogram takes integers >= 1
		due = now + intervalMs;
	}, intervalMs);
	timer.unref();
	return { histogram, stop: () => clearInterval(timer) };
}
