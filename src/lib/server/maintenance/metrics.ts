// /metrics gauges for cron jobs and cleanup (issue 8 item 4). Each scrape reads the cron
// status (history scan cached by file size/mtime, so a scrape is cheap).
import { Counter, Gauge, type Registry } from 'prom-client';
import { JOB_STATE_VALUE } from './cron-status';
import type { CronStatus } from './status';

// The job's name is `cron_job`, not `job`: a `job` label collides with the scrape job's, and
// Prometheus would rename ours to `exported_job`.
export function registerMaintenanceMetrics(registry: Registry, status: () => Promise<CronStatus>) {
	// One status per scrape shared by the three metrics.
	let pending: Promise<CronStatus | null> | null = null;
	const current = () => {
		pending ??= status()
			.catch(() => null)
			.finally(() => setTimeout(() => (pending = null), 0));
		return pending;
	};
	const counted = new Map<string, number>(); // runId -> freed bytes already added
	let freedTotal = 0;

	new Gauge({
		name: 'vmwarden_cron_job_state',
		help: 'Cron job state: 0 ok, 1 running, 2 missed, 3 failed, 4 disabled, 5 unknown',
		labelNames: ['cron_job'],
		registers: [registry],
		async collect() {
			this.reset();
			const s = await current();
			for (const j of s?.jobs ?? []) this.set({ cron_job: j.name }, JOB_STATE_VALUE[j.state]);
		}
	});
	new Gauge({
		name: 'vmwarden_cron_last_success_timestamp_seconds',
		help: 'Start time of the newest successful run of each cron job in the history read',
		labelNames: ['cron_job'],
		registers: [registry],
		async collect() {
			this.reset();
			const s = await current();
			for (const j of s?.jobs ?? [])
				if (j.lastSuccess) this.set({ cron_job: j.name }, Date.parse(j.lastSuccess) / 1000);
		}
	});
	new Counter({
		name: 'vmwarden_cleanup_freed_bytes_total',
		help: 'Bytes freed by real (not dry) cleanup runs seen in the history since this process started reading it',
		registers: [registry],
		async collect() {
			const s = await current();
			for (const r of s?.recentCleanups ?? []) {
				if (r.dryRun || counted.has(r.id) || r.freedBytes === null) continue;
				counted.set(r.id, r.freedBytes);
				freedTotal += r.freedBytes;
				this.inc(r.freedBytes);
			}
			if (counted.size > 10_000)
				for (const k of [...counted.keys()].slice(0, 5_000)) counted.delete(k);
		}
	});
	return { freedTotal: () => freedTotal };
}
