// The watchdog's series on /metrics: restarts and OOM kills per container, and the quarantine count.
import { Counter, Gauge, type Registry } from 'prom-client';

/** Without a registry (tests) the counters are no-ops. */
export function registerWatchdogMetrics(registry: Registry | undefined, quarantined: () => number) {
	if (!registry)
		return { restarted: (_container: string) => {}, oomKilled: (_container: string) => {} };
	const restartsTotal = new Counter({
		name: 'vmwarden_watchdog_restarts_total',
		help: 'Containers restarted by the watchdog',
		labelNames: ['container'],
		registers: [registry]
	});
	const oomTotal = new Counter({
		name: 'vmwarden_container_oom_kills_total',
		help: 'OOM kills since the app started (the kernel cgroup count where readable, else Docker oom events)',
		labelNames: ['container'],
		registers: [registry]
	});
	new Gauge({
		name: 'vmwarden_watchdog_quarantined',
		help: 'Containers the watchdog has quarantined (no more restarts until stable or released)',
		registers: [registry],
		collect() {
			this.set(quarantined());
		}
	});
	return {
		restarted: (container: string) => restartsTotal.inc({ container }),
		oomKilled: (container: string) => oomTotal.inc({ container })
	};
}
