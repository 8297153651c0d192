// Follows Docker's container events for the recorders (deploys, exits) over ONE stream per Docker
// connection: attaches, splits the newline-delimited JSON, hands each event to every consumer that
// asked for its action, and re-attaches when Docker is down or closes the stream: after `retryMs`,
// then doubling while the outage lasts (retry.ts), or at once on `retryNow()` (services.ts calls it
// when the Docker adapter reaches Docker again).
//
// Nothing seen is lost to a short gap (decision 0031): a re-attach asks Docker for the events
// `since` the newest one seen (less `overlapMs`: Docker stamps an event before it takes the lock
// that orders them, so two can arrive out of order), and the replayed ones already handed over
// (same timeNano, id and action) are skipped. The first attach replays from the earliest position
// a consumer asks for (`resumeFrom`: its newest stored row), at most `maxReplayMs` back, so what
// happened while vmwarden was down is seen too; consumers must record idempotently.
// Docker keeps only its last 256 events of every kind (health-check execs included: on a host with
// dozens of health checks that is a minute or less), and a restarted dockerd none: a longer gap
// loses events. `onAttached` gets where the replay starts, so a consumer can cover such a gap from
// state (the exit recorder does).
//
// One event a consumer cannot handle is skipped for that consumer, not fatal. A consumer whose
// onAttached fails makes the attach fail (and retry) for all: the replay covers the others.
import { reasonOf } from '../availability';
import { createRetryClock, RETRY_MAX_MS } from '../retry';
import type { Logger } from '../log';
import type { DockerApi } from './api';

/** One line of GET /events (the fields the recorders read). */
export interface DockerEventLine {
	Type?: string;
	Action?: string;
	/** the action before API 1.22 */
	status?: string;
	id?: string;
	Actor?: { ID?: string; Attributes?: Record<string, string> };
	time?: number;
	timeNano?: number;
}

export interface DockerEventConsumer {
	/** names it in the log: "exit recorder" */
	what: string;
	/** Docker event names, e.g. ['die', 'start'] ('health_status' also takes 'health_status: unhealthy') */
	events: readonly string[];
	/**
	 * Called once per attach, after Docker answered and before the first event (replayed or live).
	 * `sinceMs`: where this attach's replay starts (epoch ms; null: no replay asked), so a consumer
	 * can cover from container state what Docker's buffer no longer holds.
	 */
	onAttached?: (attach: { sinceMs: number | null }) => Promise<void>;
	/** awaited: events reach each consumer in Docker's order */
	onEvent: (event: DockerEventLine) => Promise<void>;
	/** For the first attach: epoch ms to replay from (its newest stored row), null: as far back as allowed. */
	resumeFrom?: () => Promise<number | null>;
}

export interface DockerEventFollowerOptions {
	api: Pick<DockerApi, 'events'>;
	/** label filters (VMW_CONTAINER_LABELS), none: every container */
	labels?: string[];
	/** names the follower in the log: "Docker events (deploys, exits)" */
	what: string;
	/** the first wait before re-attaching; doubled at each failure in a row, up to `retryMaxMs` */
	retryMs?: number;
	retryMaxMs?: number;
	/** how far back the first attach replays at most */
	maxReplayMs?: number;
	/** how far before the newest event seen a re-attach asks from */
	overlapMs?: number;
	now?: () => number;
	log: Logger;
}

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

/** Docker's `since`/`until` format: "seconds.nanoseconds". */
export function sinceParam(ns: bigint): string {
	return `${ns / NS_PER_S}.${(ns % NS_PER_S).toString().padStart(9, '0')}`;
}

/**
 * The event's time in ns, exactly: read from the line, because timeNano (~1.8e18) is past a
 * double's integer precision once parsed. Attribute values are strings, so an unquoted number
 * after "timeNano": is the event's own field.
 */
export function eventTimeNs(line: string, e: DockerEventLine): bigint | null {
	const m = /"timeNano":(\d+)/.exec(line);
	if (m) return BigInt(m[1]);
	return typeof e.time === 'number' ? BigInt(Math.trunc(e.time)) * NS_PER_S : null;
}

const actionOf = (e: DockerEventLine) => e.Action ?? e.status ?? '';
const wants = (c: DockerEventConsumer, action: string) =>
	c.events.some((name) => action === name || action.startsWith(`${name}:`));

export function createDockerEventFollower(o: DockerEventFollowerOptions) {
	const retry = createRetryClock({
		baseMs: o.retryMs ?? 5000,
		maxMs: o.retryMaxMs ?? RETRY_MAX_MS
	});
	/** ends the wait before the next attempt, while there is one */
	let retryNow: (() => void) | null = null;
	const maxReplayMs = o.maxReplayMs ?? 3_600_000;
	const overlapNs = BigInt(o.overlapMs ?? 1000) * NS_PER_MS;
	const now = o.now ?? Date.now;
	const consumers: DockerEventConsumer[] = [];
	let ctrl: AbortController | null = null;
	let loop: Promise<void> | null = null;
	let connected = false;
	let lastError: string | null = null;
	let attaches = 0;
	let skippedReplays = 0;
	/** where the next attach asks from; null until the first attach */
	let sinceNs: bigint | null = null;
	let newestNs: bigint | null = null;
	/** events handed over within `overlapMs` of the newest: a re-attach's replay brings them again */
	const recent = new Map<string, bigint>();

	/** The first attach's `since`: the earliest a consumer asks for, within [now - maxReplayMs, now]. */
	async function firstSince(): Promise<bigint | null> {
		const asking = consumers.filter((c) => c.resumeFrom);
		if (!asking.length) return null;
		const t = now();
		const floor = t - maxReplayMs;
		const from = Math.min(
			...(await Promise.all(asking.map((c) => c.resumeFrom!()))).map((f) => f ?? floor)
		);
		return BigInt(Math.floor(Math.min(Math.max(from, floor), t))) * NS_PER_MS;
	}

	/** false: seen already (a replay of what was handed over before the stream broke) */
	function note(ns: bigint, key: string): boolean {
		if (recent.has(key)) return false;
		if (newestNs === null || ns > newestNs) newestNs = ns;
		recent.set(key, ns);
		const floor = newestNs - overlapNs;
		for (const [k, t] of recent) if (t < floor) recent.delete(k);
		if (sinceNs === null || floor > sinceNs) sinceNs = floor;
		return true;
	}

	async function deliver(line: string) {
		let e: DockerEventLine;
		try {
			e = JSON.parse(line) as DockerEventLine;
		} catch {
			o.log.debug(`${o.what}: a line that is not JSON skipped`, { line: line.slice(0, 200) });
			return;
		}
		const action = actionOf(e);
		const ns = eventTimeNs(line, e);
		if (ns !== null && !note(ns, `${ns}|${e.Actor?.ID ?? e.id ?? ''}|${action}`)) {
			skippedReplays++;
			return;
		}
		await Promise.all(
			consumers
				.filter((c) => wants(c, action))
				.map(async (c) => {
					try {
						await c.onEvent(e);
					} catch (err) {
						// one event we could not follow (the container is already gone, …) is not the stream failing
						o.log.debug(`${c.what}: event skipped`, { err: reasonOf(err) });
					}
				})
		);
	}

	async function follow(signal: AbortSignal) {
		const filters = {
			type: ['container'],
			event: [...new Set(consumers.flatMap((c) => c.events))],
			...(o.labels?.length ? { label: o.labels } : {})
		};
		while (!signal.aborted) {
			// this attach's own signal: closes its stream when anything below fails, not only at stop
			const attach = new AbortController();
			const onStop = () => attach.abort();
			signal.addEventListener('abort', onStop, { once: true });
			try {
				const requestedAt = now();
				const since = sinceNs ?? (await firstSince());
				const stream = await o.api.events({
					signal: attach.signal,
					filters,
					...(since !== null ? { since: sinceParam(since) } : {})
				});
				// from here on this attach covers what happens: a re-attach with no event seen asks from its start
				sinceNs ??= since ?? BigInt(requestedAt) * NS_PER_MS - overlapNs;
				const sinceMs = since === null ? null : Number(since / NS_PER_MS);
				const ready = await Promise.allSettled(consumers.map((c) => c.onAttached?.({ sinceMs })));
				const failed = ready.find((r) => r.status === 'rejected');
				if (failed) throw failed.reason;
				connected = true;
				lastError = null;
				retry.ok();
				attaches++;
				let buffered = '';
				for await (const chunk of stream as AsyncIterable<Buffer | string>) {
					buffered += chunk.toString();
					let nl: number;
					while ((nl = buffered.indexOf('\n')) >= 0) {
						const line = buffered.slice(0, nl).trim();
						buffered = buffered.slice(nl + 1);
						if (line) await deliver(line);
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
			} finally {
				signal.removeEventListener('abort', onStop);
				attach.abort();
			}
			if (signal.aborted) return;
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

	return {
		/** Adds a consumer; before start (the stream's filter is the consumers' events). */
		subscribe(consumer: DockerEventConsumer) {
			if (loop) throw new Error(`${o.what}: subscribe ${consumer.what} before start`);
			consumers.push(consumer);
		},
		start() {
			if (loop || !consumers.length) return;
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
		},
		status() {
			return {
				connected,
				lastError,
				attaches,
				/** what the next attach asks from ("seconds.nanos"), null before the first */
				since: sinceNs === null ? null : sinceParam(sinceNs),
				/** replayed events skipped because they had been handed over already */
				skippedReplays
			};
		}
	};
}

export type DockerEventFollower = ReturnType<typeof createDockerEventFollower>;

/**
 * A recorder's stream: the shared `follower` (services.ts starts and stops it) or, without one, a
 * follower of its own, started and stopped with the recorder.
 */
export function sharedOrOwnFollower(
	follower: DockerEventFollower | undefined,
	own: () => DockerEventFollower
) {
	const mine = follower ? null : own();
	return {
		events: follower ?? mine!,
		start() {
			mine?.start();
		},
		async stop() {
			await mine?.stop();
		}
	};
}
