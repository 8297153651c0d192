// The Docker adapter, a background service like the host sampler: refreshes the container
// list every `intervalMs` (list + inspect of what changed), keeps the last good list, and
// answers queries with Availability (DESIGN decision 6). When the daemon is unreachable it
// keeps trying, after its interval at first and then less often (retry.ts: doubling up to once a
// minute), so it reconnects by itself when the daemon returns; a request that needs the list
// (`wake()`) brings the next attempt forward to one interval after the last.
import { createAvailability, reasonOf, type Availability } from '../availability';
import type { Logger } from '../log';
import { createEmitter } from '../emitter';
import {
	ContainerGoneError,
	type DockerApi,
	type RawContainerInspect,
	type RawContainerSummary
} from './api';
import {
	findContainer,
	healthFromStatus,
	toContainerInfo,
	toState,
	type ContainerInfo
} from './model';
import { restartAndConfirm, type RestartOptions } from './restart';
import { createRetryClock, RETRY_MAX_MS } from '../retry';

export interface DockerAdapterOptions {
	api: DockerApi;
	/** ms between refreshes (VMW_CONTAINER_SAMPLE_INTERVAL_MS) */
	intervalMs: number;
	/**
	 * Re-inspect a container whose list entry did not change at least this often (default 2
	 * minutes). The list carries state, status and health; what only an inspect shows and can
	 * change without them is a `docker update` of the limits and a failing streak below the
	 * retries. Unhealthy, starting and restarting containers are re-inspected at every refresh.
	 */
	inspectMaxAgeMs?: number;
	/** Only containers carrying all these labels (`key` or `key=value`); [] = all. */
	labels?: string[];
	/** Parallel inspects per refresh. */
	inspectConcurrency?: number;
	/** While Docker is unreachable, the longest wait between two attempts (retry.ts). */
	retryMaxMs?: number;
	now?: () => number;
	log: Logger;
}

export interface DockerStatus {
	label: string;
	running: boolean;
	connected: boolean;
	refreshes: number;
	lastOkAt: number | null;
	lastError: string | null;
	lastErrorAt: number | null;
	/** duration of the last successful refresh */
	lastRefreshMs: number | null;
}

export interface DockerAdapter {
	readonly api: DockerApi;
	start(): void;
	stop(): Promise<void>;
	/** Refreshes now (serialised with the timer's refreshes). */
	refresh(): Promise<Availability<ContainerInfo[]>>;
	/**
	 * Someone needs the list (a page, an API call): while Docker is unreachable and the next
	 * attempt is backed off, make it one interval after the last attempt (at once when that has
	 * passed). No IO here, and nothing while Docker answers.
	 */
	wake(): void;
	/** The latest refresh's answer (no IO). */
	containers(): Availability<ContainerInfo[]>;
	/** A container of the current list (or, while unavailable, the last good one) by id, id prefix or name. */
	find(ref: string): ContainerInfo | null;
	/** Inspects one container now; `data: null` when it is gone. Updates the cached list entry. */
	inspect(id: string): Promise<Availability<ContainerInfo | null>>;
	/**
	 * Restarts it and resolves with what Docker did (restartAndConfirm): the record after the
	 * restart, null when it is gone. Throws DockerUnavailableError (Docker did not answer a quick
	 * call), DockerApiError (Docker refused), or an Error when it was not restarted by the deadline.
	 */
	restart(id: string, opts?: RestartOptions): Promise<ContainerInfo | null>;
	/** Called after every refresh (ok or not); returns the unsubscribe function. */
	subscribe(fn: (result: Availability<ContainerInfo[]>) => void): () => void;
	status(): DockerStatus;
	/** For /healthz: Docker being down is reported, not fatal to the app. */
	health(): { ok: boolean; detail: string };
}

const keyOf = (s: RawContainerSummary) => `${s.State}|${healthFromStatus(s.Status) ?? '-'}`;
/** "Up Less than a second", "Up 12 seconds": started within the last minute. */
const justStarted = (status: string) => /^Up (Less than a second|\d+ seconds?)\b/.test(status);

async function eachLimited<T>(
	items: T[],
	limit: number,
	fn: (item: T) => Promise<void>
): Promise<void> {
	let i = 0;
	const worker = async () => {
		while (i < items.length) await fn(items[i++]);
	};
	await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export function createDockerAdapter({
	api,
	intervalMs,
	inspectMaxAgeMs = 120_000,
	labels = [],
	inspectConcurrency = 8,
	retryMaxMs = RETRY_MAX_MS,
	now = Date.now,
	log
}: DockerAdapterOptions): DockerAdapter {
	if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be > 0, got ${intervalMs}`);
	const avail = createAvailability<ContainerInfo[]>(now);
	const cache = new Map<string, { key: string; info: ContainerInfo }>();
	const listeners = createEmitter<Availability<ContainerInfo[]>>({
		log,
		what: 'docker subscriber'
	});
	let latest: Availability<ContainerInfo[]> = {
		state: 'unavailable',
		reason: 'not refreshed yet',
		lastGood: null,
		lastGoodAt: null,
		at: now()
	};
	let running = false;
	let timer: ReturnType<typeof setTimeout> | null = null;
	let chain: Promise<unknown> = Promise.resolve();
	let refreshes = 0;
	let lastError: string | null = null;
	let lastErrorAt: number | null = null;
	let lastRefreshMs: number | null = null;
	let wasConnected: boolean | null = null;
	// scheduling runs on the monotonic clock (performance.now); `now` dates the data
	const retry = createRetryClock({ baseMs: intervalMs, maxMs: retryMaxMs });
	/** the wait after the latest refresh: the interval, or the backed-off retry while unreachable */
	let nextDelayMs = intervalMs;
	let lastAttemptAt = -Infinity;
	let dueAt = 0;

	function needsInspect(s: RawContainerSummary, t: number): boolean {
		const c = cache.get(s.Id);
		if (!c || c.key !== keyOf(s)) return true;
		if (t - c.info.inspectedAt >= inspectMaxAgeMs) return true;
		if (s.State === 'restarting') return true;
		// the failing streak and health log move at each check: once a check can have run since
		// the last inspect (half a refresh early, so a check as frequent as the refresh is not
		// seen one refresh late); a 10 s check watched every 5 s was inspected twice per result
		if (c.info.health === 'unhealthy' || c.info.health === 'starting')
			return t - c.info.inspectedAt + intervalMs / 2 >= (c.info.healthIntervalMs ?? 0);
		// restarted between two refreshes without the state changing
		if (justStarted(s.Status) && (c.info.startedAt === null || t - c.info.startedAt > 90_000))
			return true;
		return false;
	}

	async function doRefresh(): Promise<Availability<ContainerInfo[]>> {
		const started = performance.now();
		lastAttemptAt = started;
		let result: Availability<ContainerInfo[]>;
		try {
			const list = await api.listContainers({ all: true, labels });
			const t = now();
			const gone = new Set<string>();
			await eachLimited(
				list.filter((s) => needsInspect(s, t)),
				inspectConcurrency,
				async (s) => {
					try {
						cache.set(s.Id, {
							key: keyOf(s),
							info: toContainerInfo(s, await api.inspectContainer(s.Id), t)
						});
					} catch (err) {
						// removed between the list and the inspect: leave it out of this refresh
						if (err instanceof ContainerGoneError) gone.add(s.Id);
						else throw err;
					}
				}
			);
			const seen = new Set<string>();
			const infos: ContainerInfo[] = [];
			for (const s of list) {
				const c = cache.get(s.Id);
				if (!c || gone.has(s.Id)) continue;
				seen.add(s.Id);
				// the list entry is newer than a cached inspect for state and status text
				infos.push(
					c.info.inspectedAt === t
						? c.info
						: { ...c.info, state: toState(s.State), status: s.Status }
				);
			}
			for (const id of cache.keys()) if (!seen.has(id)) cache.delete(id);
			result = avail.ok(infos);
			lastRefreshMs = performance.now() - started;
			if (wasConnected === false) log.info('docker reachable again', { host: api.label });
			wasConnected = true;
			retry.ok();
			nextDelayMs = intervalMs;
		} catch (err) {
			result = avail.fail(err);
			lastError = reasonOf(err);
			lastErrorAt = result.at;
			if (wasConnected !== false)
				log.warn('docker unavailable', { host: api.label, reason: lastError });
			wasConnected = false;
			nextDelayMs = retry.failed();
		}
		refreshes++;
		latest = result;
		// a refresh outside the timer's (wake, a caller) moves the timer's next one
		if (running && timer) {
			clearTimeout(timer);
			schedule(nextDelayMs);
		}
		listeners.emit(result);
		return result;
	}

	function refresh(): Promise<Availability<ContainerInfo[]>> {
		const run = chain.then(doRefresh);
		chain = run.catch(() => undefined);
		return run;
	}

	function schedule(delayMs: number) {
		dueAt = performance.now() + delayMs;
		timer = setTimeout(tick, delayMs);
		timer.unref();
	}

	async function tick() {
		timer = null;
		const t0 = performance.now();
		await refresh().catch((err) => log.error('docker refresh failed', { err }));
		if (running && !timer) schedule(Math.max(0, nextDelayMs - (performance.now() - t0)));
	}

	function wake() {
		if (!running || !timer || latest.state === 'ok') return;
		const t = performance.now();
		const at = Math.max(t, lastAttemptAt + intervalMs);
		if (at >= dueAt) return;
		clearTimeout(timer);
		schedule(at - t);
	}

	function currentList(): ContainerInfo[] {
		return latest.state === 'ok' ? latest.data : (latest.lastGood ?? []);
	}

	function replaceInList(info: ContainerInfo) {
		if (latest.state !== 'ok') return;
		latest = { ...latest, data: latest.data.map((c) => (c.id === info.id ? info : c)) };
	}

	/** A fresh inspect becomes the cached record and the list's entry. */
	function remember(raw: RawContainerInspect): ContainerInfo {
		const prev = cache.get(raw.Id);
		const info = toContainerInfo(null, raw, now());
		cache.set(raw.Id, { key: prev?.key ?? '', info });
		replaceInList(info);
		return info;
	}

	return {
		api,
		start() {
			if (running) return;
			running = true;
			schedule(0);
		},
		async stop() {
			running = false;
			if (timer) clearTimeout(timer);
			timer = null;
			await chain;
		},
		refresh,
		wake,
		containers: () => latest,
		find: (ref) => findContainer(currentList(), ref),
		async inspect(id) {
			const one = createAvailability<ContainerInfo | null>(now);
			try {
				const info = one.ok(remember(await api.inspectContainer(id)));
				wake(); // Docker answered: the list need not wait for its backed-off retry
				return info;
			} catch (err) {
				if (err instanceof ContainerGoneError) return one.ok(null);
				const failed = one.fail(err);
				// the last good record of this container is the cached one
				const cached = cache.get(id)?.info ?? null;
				return { ...failed, lastGood: cached, lastGoodAt: cached?.inspectedAt ?? null };
			}
		},
		async restart(id, opts) {
			const r = await restartAndConfirm(api, id, opts);
			wake();
			return r.outcome === 'restarted' ? remember(r.inspect) : null;
		},
		subscribe(fn) {
			return listeners.on(fn);
		},
		status() {
			return {
				label: api.label,
				running,
				connected: latest.state === 'ok',
				refreshes,
				lastOkAt: avail.lastGoodAt,
				lastError,
				lastErrorAt,
				lastRefreshMs
			};
		},
		health() {
			const at = (t: number | null) => (t ? new Date(t).toISOString() : 'never');
			if (latest.state === 'ok')
				return {
					ok: true,
					detail: `${api.label}: ${latest.data.length} containers at ${at(latest.at)}`
				};
			return {
				ok: false,
				detail: `${api.label}: unavailable (${latest.reason}); last good ${at(latest.lastGoodAt)}`
			};
		}
	};
}
