// The background services as one list (issue 22 item 3, decision 0027): each is registered once,
// in start order, with what it starts, stops and reports. The list starts them in order, stops
// them in reverse (a service stops before what it was started on: the watchdog before the Docker
// adapter, the adapter before the stats collector that listens to it, everything before the
// database) and makes /healthz's answer. Homarr's JobManager is the same idea for its cron jobs.
import type { Logger } from './log';

export interface ServiceHealth {
	ok: boolean;
	detail: string;
}

/** What a background service offers; the domain objects (Docker adapter, watchdog, score, …) fit as they are. */
export interface Background {
	start?(): unknown;
	/** Awaited: stops timers and waits for the work in flight. */
	stop?(): unknown;
	health?(): ServiceHealth;
}

export interface Registration {
	/** Its key in /healthz (when it has `health`) and its name in the log. */
	name: string;
	service: Background;
	/** false: not started here (createServices' start* options); still stopped, still reported. */
	start?: boolean;
	/** Its health is the app's: /healthz is ok when every vital service is. The rest are reported, never fatal. */
	vital?: boolean;
}

export function createLifecycle(list: Registration[], log: Logger) {
	const names = new Set<string>();
	for (const r of list) {
		if (names.has(r.name)) throw new Error(`service ${r.name} is registered twice`);
		names.add(r.name);
	}
	return {
		/** Starts each service in list order, awaiting each (the sampler's first sample, the watchdog's persisted state). */
		async start() {
			for (const r of list) if (r.start !== false) await r.service.start?.();
		},
		/** Stops each service in reverse list order; one that fails is logged and the rest still stop. */
		async stop() {
			for (const r of [...list].reverse()) {
				try {
					await r.service.stop?.();
				} catch (err) {
					log.error(`stopping ${r.name} failed`, { err });
				}
			}
		},
		health(): { ok: boolean; services: Record<string, ServiceHealth> } {
			const services: Record<string, ServiceHealth> = {};
			let ok = true;
			for (const r of list) {
				if (!r.service.health) continue;
				const h = r.service.health();
				services[r.name] = h;
				if (r.vital && !h.ok) ok = false;
			}
			return { ok, services };
		}
	};
}

export type Lifecycle = ReturnType<typeof createLifecycle>;
