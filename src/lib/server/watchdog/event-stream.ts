// The watchdog's attachment to Docker's event stream: ping, attach, and on any end or failure
// reattach after a backoff (250 ms doubling to 5 s, reset after 10 s attached). The daemon can
// restart under us; each attach is followed by a reconcile (onAttach) so nothing missed is lost.
// While Docker stays unreachable for over a minute the wait goes on doubling, up to a minute
// (retry.ts), and `retryNow()` ends it when the Docker adapter reaches Docker again. The first
// minute keeps the 5 s ceiling: a daemon restart is the common outage, and the watchdog heals.
import type { Logger } from '../log';
import { RETRY_MAX_MS } from '../retry';
import type { DockerEvent, WatchdogDocker } from './docker-port';

/** Resolves after `ms`, or at once when `signal` aborts or `wake` is called. */
function sleep(ms: number, signal: AbortSignal, onWake: (wake: (() => void) | null) => void) {
	return new Promise<void>((resolve) => {
		if (signal.aborted) return resolve();
		const t = setTimeout(done, ms);
		function done() {
			clearTimeout(t);
			signal.removeEventListener('abort', done);
			onWake(null);
			resolve();
		}
		signal.addEventListener('abort', done, { once: true });
		onWake(done);
	});
}

export interface EventStreamOptions {
	docker: Pick<WatchdogDocker, 'ping' | 'streamEvents'>;
	clock: () => number;
	log: Logger;
	onEvent: (e: DockerEvent) => void;
	/** Attached (the daemon answered): clear the last error, tell watchers, reconcile. */
	onAttach: () => void;
	/** Detached or could not attach, with the reason (not called once stopping). */
	onDetach: (reason: string) => void;
	/** the longest wait between two attempts while Docker stays unreachable */
	retryMaxMs?: number;
}

export function createEventStream({
	docker,
	clock,
	log,
	onEvent,
	onAttach,
	onDetach,
	retryMaxMs = RETRY_MAX_MS
}: EventStreamOptions) {
	let stopped = false;
	const stopAc = new AbortController();
	let streamAbort: AbortController | null = null;
	let loop: Promise<void> | null = null;
	let connected = false;
	let attaches = 0;
	let lastEventAt: number | null = null;
	let wake: (() => void) | null = null;
	/** when the current run of failed attempts began (null while attached) */
	let failingSince: number | null = null;

	const receive = (e: DockerEvent) => {
		lastEventAt = clock();
		onEvent(e);
	};

	async function run() {
		let backoff = 250;
		while (!stopped) {
			const ac = new AbortController();
			streamAbort = ac;
			const attachStart = clock();
			let reason: string;
			try {
				await docker.ping();
				let streamDone: Promise<void> | null = docker.streamEvents(receive, ac.signal);
				// getEvents resolves once the daemon answered: attached. Reconcile after attaching so
				// anything that changed while we were away is re-inspected before any action.
				connected = true;
				failingSince = null;
				attaches++;
				onAttach();
				await streamDone;
				streamDone = null;
				if (stopped) break;
				reason = 'event stream ended (daemon restarting?)';
			} catch (err) {
				if (stopped) break;
				reason = `events: ${(err as Error).message}`;
			}
			if (connected) log.warn('lost the Docker event stream; reattaching', { reason });
			connected = false;
			onDetach(reason);
			if (clock() - attachStart > 10_000) backoff = 250;
			failingSince ??= clock();
			await sleep(backoff, stopAc.signal, (w) => (wake = w));
			backoff = Math.min(backoff * 2, clock() - failingSince < 60_000 ? 5000 : retryMaxMs);
		}
	}

	return {
		start() {
			loop ??= run();
		},
		/** Detaches at once (the sleep and the stream are aborted) and resolves when the loop has ended. */
		async stop() {
			stopped = true;
			stopAc.abort();
			streamAbort?.abort();
			await loop;
		},
		/** Docker answers again (the adapter saw it): attach now instead of after the wait. */
		retryNow() {
			wake?.();
		},
		status: () => ({ connected, attaches, lastEventAt })
	};
}
