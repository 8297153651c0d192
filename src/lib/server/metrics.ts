// GET /metrics: the sampler's figures and the process's own, in Prometheus text format.
import { Registry, Gauge, collectDefaultMetrics } from 'prom-client';
import type { HostSample, Thresholds } from '$lib/health';
import { classify } from './host/classify';

const statusValue = { OK: 0, WARN: 1, CRIT: 2, UNKNOWN: 3 } as const;

export function createMetrics({ latest, thresholds, hostId }: { latest: () => HostSample | null; thresholds: Thresholds; hostId: string }) {
	const registry = new Registry();
	registry.setDefaultLabels({ host_id: hostId });
	collectDefaultMetrics({ register: registry, prefix: 'vmwarden_' });
	// prom-client names three gauges *_total, which `promtool check metrics` rejects (a _total
	// suffix means a counter). Each is the sum of its per-type gauge (…_active_handles{type}), kept.
	for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(`vmwarden_${name}`);

	// Each gauge reads the latest sample when scraped; a metric that errored is simply absent.
	const gauge = (name: string, help: string, read: (s: HostSample, g: Gauge) => void, labelNames: string[] = []) =>
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

	gauge('vmwarden_cpu_steal_percent', 'CPU steal over the last sampling interval, all CPUs', (s, g) => {
		if (s.cpu.ok && s.cpu.stealPct !== null) g.set(s.cpu.stealPct);
	});
	gauge('vmwarden_cpu_busy_percent', 'Non-idle CPU over the last sampling interval, all CPUs', (s, g) => {
		if (s.cpu.ok && s.cpu.busyPct !== null) g.set(s.cpu.busyPct);
	});
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
			for (const dim of ['steal', 'load', 'memory', 'swap'] as const) g.set({ dimension: dim }, statusValue[snap[dim].status]);
			for (const d of snap.disks) g.set({ dimension: `disk:${d.mount}` }, statusValue[d.status]);
		},
		['dimension']
	);
	gauge('vmwarden_sample_timestamp_seconds', 'Time of the latest host sample', (s, g) => g.set(s.ts / 1000));

	return registry;
}
