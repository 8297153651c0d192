// `hub.overview`: one row per host from an in-memory cache, refreshed in the background
// (stale-while-revalidate). A call answers at once from memory; a host never asked yet is
// fetched then, with its own timeout, in parallel with the others; a slow or dead host costs
// its own row an `unavailable` state (reason, last good summary and its time), never the others'
// latency. Refreshes run only while someone asked within `idleAfterMs` (an idle hub sends
// nothing), at most `concurrency` at a time. Decision 0013.
import type { Status } from '$lib/health';
import { createAvailability, type Availability } from '../availability';
import type { HostKind, HostView } from '../hosts/types';
import type { Logger } from '../log';
import { createEmitter } from '../emitter';
import type { HostSummary, OverviewRow } from './types';

export interface OverviewHost {
	id: string;
	name: string;
	kind: HostKind | 'local';
	timeoutMs: number;
}

export interface OverviewOptions {
	/** this instance: computed locally, never over HTTP */
	local: OverviewHost & { summary(): Promise<HostSummary> };
	/** the registry's hosts (views only) */
	hosts(): Promise<HostView[]>;
	/** one host's summary; should honour `signal` (aborted at the host's timeout) */
	fetchSummary(host: HostView, signal: AbortSignal): Promise<HostSummary>;
	/** background refresh period while someone is looking */
	refreshMs: number;
	/** stop refreshing when nobody asked for this long */
	idleAfterMs?: number;
	/** hosts refreshed at once */
	concurrency?: number;
	/** a failing host is retried after refreshMs, then 2×, 4×, … up to this */
	maxBackoffMs?: number;
	now?: () => number;
	log: Logger;
}

interface Entry {
	host: OverviewHost;
	view: HostView | null;
	avail: ReturnType<typeof createAvailability<HostSummary>>;
	row: Availability<HostSummary> | null;
	inflight: Promise<void> | null;
	fetchedAt: number;
	/** consecutive failures: a failing host is retried with backoff, not every period */
	failures: number;
}

const RANK: Record<Status, number> = { CRIT: 3, WARN: 2, UNKNOWN: 1, OK: 0 };

/** Worst first: unavailable, then CRIT, WARN, UNKNOWN, OK; then the lower score; then local, then by name. */
export function compareRows(a: OverviewRow, b: OverviewRow): number {
	const rank = (r: OverviewRow) => (r.state === 'unavailable' ? 4 : RANK[r.data.status]);
	const score = (r: OverviewRow) => (r.state === 'ok' ? (r.data.score?.value ?? 101) : 101);
	return (
		rank(b) - rank(a) ||
		score(a) - score(b) ||
		(a.kind === 'local' ? -1 : b.kind === 'local' ? 1 : 0) ||
		a.name.localeCompare(b.name) ||
		a.hostId.localeCompare(b.hostId)
	);
}

/** Rejects with a clear reason when `p` does not settle within `ms` (and aborts `ctrl`). */
export function withTimeout<T>(
	p: (signal: AbortSignal) => Promise<T>,
	ms: number,
	what: string
): Promise<T> {
	const ctrl = new AbortController();
	let timer: ReturnType<typeof setTimeout> | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => {
			const err = new Error(`${what} did not answer within ${ms} ms`);
			ctrl.abort(err);
			reject(err);
		}, ms);
	});
	return Promise.race([p(ctrl.signal), timeout]).finally(() => clearTimeout(timer));
}

export function createOverview(opts: OverviewOptions) {
	const {
		local,
		refreshMs,
		idleAfterMs = 60_000,
		concurrency = 8,
		maxBackoffMs = 60_000,
		log
	} = opts;
	const now = opts.now ?? Date.now;
	const entries = new Map<string, Entry>();
	const listeners = createEmitter<OverviewRow>({ log, what: 'hub: overview listener' });
	let lastAskedAt = -Infinity;
	let watchers = 0;
	let timer: ReturnType<typeof setTimeout> | null = null;
	let stopped = false;
	let hostList: { at: number; views: HostView[] } | null = null;

	const entryFor = (host: OverviewHost, view: HostView | null): Entry => {
		let e = entries.get(host.id);
		if (!e) {
			e = {
				host,
				view,
				avail: createAvailability<HostSummary>(now),
				row: null,
				inflight: null,
				fetchedAt: -Infinity,
				failures: 0
			};
			entries.set(host.id, e);
		} else {
			e.host = host;
			e.view = view;
		}
		return e;
	};

	async function currentHosts(force = false): Promise<Entry[]> {
		if (force || !hostList || now() - hostList.at >= refreshMs) {
			try {
				hostList = { at: now(), views: await opts.hosts() };
			} catch (err) {
				log.warn('hub: could not list the registry hosts', { err });
				hostList ??= { at: now(), views: [] };
			}
		}
		const views = hostList.views.filter((v) => v.id !== local.id);
		const ids = new Set([local.id, ...views.map((v) => v.id)]);
		for (const id of entries.keys()) if (!ids.has(id)) entries.delete(id); // removed from the registry
		return [
			entryFor(local, null),
			...views.map((v) =>
				entryFor({ id: v.id, name: v.name, kind: v.kind, timeoutMs: v.timeoutMs }, v)
			)
		];
	}

	const rowOf = (e: Entry): OverviewRow => {
		const a: Availability<HostSummary> = e.row ?? {
			state: 'unavailable',
			reason: 'not asked yet',
			lastGood: null,
			lastGoodAt: null,
			at: now()
		};
		const row: OverviewRow = { hostId: e.host.id, name: e.host.name, kind: e.host.kind, ...a };
		if (a.state === 'unavailable' && e.failures > 0) row.nextTryAt = e.fetchedAt + retryDelay(e);
		return row;
	};

	/** Fetch one host now (joins a fetch in flight). Never throws. */
	function refreshOne(e: Entry): Promise<void> {
		e.inflight ??= (async () => {
			const started = now();
			try {
				const summary = await withTimeout(
					(signal) => (e.view ? opts.fetchSummary(e.view, signal) : local.summary()),
					e.host.timeoutMs,
					e.host.name
				);
				e.row = e.avail.ok(summary);
				if (e.failures) log.info(`hub: ${e.host.name} answers again`, { host: e.host.id });
				e.failures = 0;
			} catch (err) {
				e.row = e.avail.fail(err);
				e.failures++;
				log[e.failures === 1 ? 'warn' : 'debug'](
					`hub: ${e.host.name} did not give its summary; retrying in ${Math.round(retryDelay(e) / 1000)} s`,
					{ host: e.host.id, reason: e.row.reason, failures: e.failures }
				);
			} finally {
				e.fetchedAt = started;
				e.inflight = null;
			}
			if (entries.get(e.host.id) === e) listeners.emit(rowOf(e));
		})();
		return e.inflight;
	}

	/** The wait before the next try: the period, doubled per consecutive failure after the first, capped. */
	const retryDelay = (e: Entry) =>
		e.failures <= 1
			? refreshMs
			: Math.min(refreshMs * 2 ** (e.failures - 1), Math.max(refreshMs, maxBackoffMs));
	const isDue = (e: Entry) => !e.inflight && now() - e.fetchedAt >= retryDelay(e);

	async function refreshAll(list: Entry[]): Promise<void> {
		const due = list.filter(isDue);
		let i = 0;
		const worker = async () => {
			while (i < due.length) await refreshOne(due[i++]);
		};
		await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker));
	}

	const active = () => watchers > 0 || now() - lastAskedAt < idleAfterMs;

	function schedule() {
		if (timer || stopped) return;
		timer = setTimeout(async () => {
			timer = null;
			if (stopped || !active()) return; // idle: the next ask starts it again
			try {
				await refreshAll(await currentHosts(true));
			} catch (err) {
				log.error('hub: overview refresh failed', { err });
			}
			schedule();
		}, refreshMs);
		timer.unref?.();
	}

	return {
		/** Every host's row, worst first: from memory, except hosts never fetched yet (each within its timeout). */
		async rows(): Promise<OverviewRow[]> {
			lastAskedAt = now();
			const list = await currentHosts();
			const fresh = list.filter((e) => e.row === null);
			if (fresh.length) await Promise.all(fresh.map(refreshOne));
			// stale rows are refreshed in the background, the answer does not wait for them
			const stale = list.filter((e) => e.row !== null && isDue(e));
			if (stale.length) void refreshAll(stale);
			schedule();
			return list.map(rowOf).sort(compareRows);
		},
		/** Called with each host's row after every refresh of it. */
		subscribe(fn: (row: OverviewRow) => void): () => void {
			const off = listeners.on(fn);
			watchers++;
			lastAskedAt = now();
			schedule();
			return () => {
				if (off()) watchers--;
				lastAskedAt = now();
			};
		},
		/** A registry change: drop the host's row (and re-read the list on the next ask). */
		forget(id: string) {
			entries.delete(id);
			hostList = null;
		},
		status() {
			return {
				hosts: entries.size,
				active: active(),
				refreshing: [...entries.values()].filter((e) => e.inflight).length
			};
		},
		stop() {
			stopped = true;
			if (timer) clearTimeout(timer);
			timer = null;
			listeners.clear();
		}
	};
}

export type Overview = ReturnType<typeof createOverview>;
