// One listener list for the modules that push to subscribers (sampler, Docker adapter, stats
// collector, score, hub overview, hosts registry, cleanup runner, watchdog): a throwing listener
// is logged and the others still run, and subscribing returns the unsubscribe function.
import type { Logger } from './log';

export interface Emitter<T> {
	/** Adds `fn` (adding it again changes nothing); returns its unsubscribe, true when that removed it. */
	on(fn: (value: T) => void): () => boolean;
	/** Calls every listener in subscription order; one that throws is logged as `<what> threw`. */
	emit(value: T): void;
	/** How many listeners are subscribed. */
	readonly size: number;
	clear(): void;
}

export function createEmitter<T = void>({ log, what }: { log: Logger; what: string }): Emitter<T> {
	const listeners = new Set<(value: T) => void>();
	return {
		on(fn) {
			listeners.add(fn);
			return () => listeners.delete(fn);
		},
		emit(value) {
			for (const fn of listeners) {
				try {
					fn(value);
				} catch (err) {
					log.error(`${what} threw`, { err });
				}
			}
		},
		get size() {
			return listeners.size;
		},
		clear() {
			listeners.clear();
		}
	};
}
