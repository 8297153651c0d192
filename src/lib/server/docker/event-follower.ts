// Follows Docker's container events for a recorder (deploys, exits): attaches, splits the
// newline-delimited JSON, hands each event over in order, and re-attaches when Docker is down or
// closes the stream: after `retryMs`, then doubling while the outage lasts (retry.ts), or at once
// on `retryNow()` (services.ts calls it when the Docker adapter reaches Docker again). One event
// that cannot be handled is skipped, not fatal.
import { reasonOf } from '../availability';
import { createRetryClock, RETRY_MAX_MS } from '../retry';
import type { Logger } from '../log';
import type { DockerApi } from './api';

export interface DockerEventFollowerOptions {
	api: Pick<DockerApi, 'events'>;
	/** Docker event names, e.g. ['die', 'start'] */
	events: string[];
	/** label filters (VMW_DOCKER_LABELS), none: every container */
	labels?: string[];
	/** called once per attach, after Docker answered and before the first event */
	onAttached?: () => Promise<void>;
	onEvent: (event: Record<string, unknown>) => Promise<void>;
	/** names the follower in the log: "deploy recorder" */
	what: string;
	/** the first wait before re-attaching; doubled at each failure in a row, up to `retryMaxMs` */
	retryMs?: number;
	retryMaxMs?: number;
	log: Logger;
}

export function createDockerEventFollower(o: DockerEventFollowerOptions) {
	const retry = createRetryClock({
		baseMs: o.retryMs ?? 5000,
		maxMs: o.retryMaxMs ?? RETRY_MAX_MS
	});
	let ctrl: AbortController | null = null;
	let loop: Promise<void> | null = null;
	let connected = false;
	let lastError: string | null = null;
	/** ends the wait before the next attempt, while there is one */
	let retryNow: (() => void) | null = null;

	async function follow(signal: AbortSignal) {
		while (!signal.aborted) {
			try {
				const stream = await o.api.events({
					signal,
					filters: {
						type: ['container'],
						event: o.events,
						...(o.labels?.length ? { label: o.labels } : {})
					}
				});
				await o.onAttached?.();
				connected = true;
				lastError = null;
				retry.ok();
				let buffered = '';
				for await (const chunk of stream as AsyncIterable<Buffer | string>) {
					buffered += chunk.toString();
					let nl: number;
					while ((nl = buffered.indexOf('\n')) >= 0) {
						const line = buffered.slice(0, nl).trim();
						buffered = buffered.slice(nl + 1);
						if (!line) continue;
						try {
							await o.onEvent(JSON.parse(line));
						} catch (err) {
							// one event we could not follow (the container is already gone, …) is not the stream failing
							o.log.debug(`${o.what}: event skipped`, { err: reasonOf(err) });
						}
					}
				}
				if (!signal.aborted) throw new Error('Docker closed the event stream');
			} catch (err) {
				connected = false;
				if (signal.aborted) return;
				const reason = reasonOf(err);
				if (reason !== lastError)
					o.log.warn(`${o.what}: Docker events unavailable; retrying`, { reason });
				lastError = reason;
				// the listener goes with its retry: one left per retry on the lifelong signal was a
				// leak (every 5 s while Docker is down)
				await new Promise<void>((resolve) => {
					const done = () => {
						clearTimeout(t);
						signal.removeEventListener('abort', done);
						retryNow = null;
						resolve();
					};
					const t = setTimeout(done, retry.failed());
					signal.addEventListener('abort', done, { once: true });
					retryNow = done;
				});
			}
		}
	}

	return {
		start() {
			if (loop) return;
			ctrl = new AbortController();
			loop = follow(ctrl.signal);
		},
		async stop() {
			ctrl?.abort();
			await loop;
			loop = null;
		},
		/** Docker is reachable again (the adapter saw it): re-attach now instead of after the wait. */
		retryNow() {
			retryNow?.();
		},
		get connected() {
			return connected;
		},
		get lastError() {
			return lastError;
		}
	};
}
