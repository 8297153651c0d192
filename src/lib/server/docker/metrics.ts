// Per-container series on /metrics, read from the collector's latest samples at scrape time,
// so Prometheus can keep container history longer than the app's 7 days.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DockerAdapter } from './adapter';
import type { StatsCollector } from './stats-collector';

export function registerContainerMetrics(
	registry: Registry,
	{ adapter, collector }: { adapter: DockerAdapter; collector: StatsCollector }
) {
	const labelNames = ['name', 'stack'] as const;
	const each = (
		fn: (
			labels: { name: string; stack: string },
			s: ReturnType<StatsCollector['latest']> extends ReadonlyMap<string, infer V> ? V : never
		) => void
	) => {
		for (const s of collector.latest().values()) fn({ name: s.name, stack: s.stack ?? '' }, s);
	};
	new Counter({
		name: 'vmwarden_container_cpu_seconds_total',
		help: 'CPU time used by the container (cgroup), seconds',
		labelNames,
		registers: [registry],
		collect() {
			this.reset();
			each((l, s) => this.inc(l, s.cpuUsec / 1e6));
		}
	});
	new Gauge({
		name: 'vmwarden_container_cpu_percent',
		help: 'CPU over the last refresh, % of one CPU',
		labelNames,
		registers: [registry],
		collect() {
			this.reset();
			each((l, s) => s.cpuPct !== null && this.set(l, s.cpuPct));
		}
	});
	new Gauge({
		name: 'vmwarden_container_memory_used_bytes',
		help: 'Memory usage minus inactive file cache (as docker stats shows)',
		labelNames,
		registers: [registry],
		collect() {
			this.reset();
			each((l, s) => this.set(l, s.memUsedBytes));
		}
	});
	new Gauge({
		name: 'vmwarden_container_memory_limit_bytes',
		help: 'Memory limit; absent when the container has none',
		labelNames,
		registers: [registry],
		collect() {
			this.reset();
			each((l, s) => s.memLimitBytes !== null && this.set(l, s.memLimitBytes));
		}
	});
	new Counter({
		name: 'vmwarden_container_write_bytes_total',
		help: 'Bytes written to block devices (stacked devices counted once)',
		labelNames,
		registers: [registry],
		collect() {
			this.reset();
			each((l, s) => this.inc(l, s.writeBytes));
		}
	});
	new Counter({
		name: 'vmwarden_container_read_bytes_total',
		help: 'Bytes read from block devices (stacked devices counted once)',
		labelNames,
		registers: [registry],
		collect() {
			this.reset();
			each((l, s) => this.inc(l, s.readBytes));
		}
	});
	new Gauge({
		name: 'vmwarden_containers',
		help: 'Containers by state and health (health "none" = no health check)',
		labelNames: ['state', 'health'],
		registers: [registry],
		collect() {
			this.reset();
			const r = adapter.containers();
			if (r.state !== 'ok') return;
			const counts = new Map<string, number>();
			for (const c of r.data) {
				const k = `${c.state}|${c.health ?? 'none'}`;
				counts.set(k, (counts.get(k) ?? 0) + 1);
			}
			for (const [k, v] of counts) {
				const [state, health] = k.split('|');
				this.set({ state, health }, v);
			}
		}
	});
	new Gauge({
		name: 'vmwarden_docker_up',
		help: '1 when the last container refresh reached the Docker daemon',
		registers: [registry],
		collect() {
			this.set(adapter.containers().state === 'ok' ? 1 : 0);
		}
	});
}
