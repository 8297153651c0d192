// The watchdog's restart ledger: every restart within the longest window (restart budget, global
// cap, cooldown), per history key and mode. `helped`: the container was healthy after it and has
// not turned unhealthy since; such restarts leave the host-wide cap (decision 0017).

export interface RestartEntry {
	key: string;
	ts: number;
	dryRun: boolean;
	helped: boolean;
}

export function createRestartLedger(windowMs: number) {
	const restarts: RestartEntry[] = [];
	return {
		add(key: string, ts: number, dryRun: boolean) {
			restarts.push({ key, ts, dryRun, helped: false });
		},
		/** The stored restarts at start-up, not judged yet: the reconcile after attaching sees which of them helped. */
		load(rows: { key: string; ts: number; dryRun: boolean }[]) {
			for (const r of rows) restarts.push({ ...r, helped: false });
			restarts.sort((a, b) => a.ts - b.ts);
		},
		prune(now: number) {
			const floor = now - windowMs;
			while (restarts.length && restarts[0].ts <= floor) restarts.shift();
		},
		/** Times of one key's restarts in one mode. */
		of: (key: string, dryRun: boolean) =>
			restarts.filter((r) => r.key === key && r.dryRun === dryRun).map((r) => r.ts),
		/** Times of the restarts that count against the host-wide cap: those that did not (yet) help. */
		host: (dryRun: boolean) =>
			restarts.filter((r) => r.dryRun === dryRun && !r.helped).map((r) => r.ts),
		/**
		 * Judges the latest restart of `key` from the container's health now: healthy → it helped;
		 * unhealthy → it did not (counts against the host-wide cap again). The caller skips a
		 * restart still running (its container shows the health from before it).
		 */
		judge(key: string, health: string) {
			if (health !== 'healthy' && health !== 'unhealthy') return;
			for (let i = restarts.length - 1; i >= 0; i--) {
				if (restarts[i].key !== key) continue;
				restarts[i].helped = health === 'healthy';
				return;
			}
		}
	};
}

export type RestartLedger = ReturnType<typeof createRestartLedger>;
