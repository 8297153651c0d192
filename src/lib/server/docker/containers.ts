// The containers domain: list rows, unhealthy drill-down, detail, logs and restarts, built on the
// Docker adapter and the stats collector. Routers call these; they never see dockerode.
import { recordAction, type ActionIntent } from '../audit/actions';
import type { Availability } from '../availability';
import type { Db } from '../db';
import type { DockerAdapter } from './adapter';
import { ContainerGoneError, DockerUnavailableError, type RawContainerInspect } from './api';
import { conditionOf, failingStreakStart, isUnhealthy, type Condition } from './health';
import { logsToText } from './logs';
import { toContainerInfo, type ContainerInfo, type HealthResult } from './model';
import type { StatsCollector } from './stats-collector';
import { createLogger } from '../log';

export interface ContainerRow {
	id: string;
	name: string;
	stack: string | null;
	service: string | null;
	image: string;
	state: ContainerInfo['state'];
	/** last reported health; an exited container may still say unhealthy */
	health: ContainerInfo['health'];
	/** what to show: only a running container can be unhealthy (see conditionOf) */
	condition: Condition;
	status: string;
	/** seconds since start, running containers only */
	uptimeS: number | null;
	restartCount: number;
	failingStreak: number;
	cpuPct: number | null;
	memUsedBytes: number | null;
	memLimitBytes: number | null;
	hasMemoryLimit: boolean;
	writeBps: number | null;
	readBps: number | null;
	pids: number | null;
	/** epoch ms a restart was requested that Docker has not finished yet (waiting for the stop) */
	restartingSince: number | null;
}

export type ListFilter = 'all' | 'unhealthy' | 'noMemoryLimit';

export interface ContainerDeps {
	adapter: DockerAdapter;
	collector: StatsCollector;
}

function toRow(
	c: ContainerInfo,
	collector: StatsCollector,
	now: number,
	restarting: ReadonlyMap<string, { since: number }> = new Map()
): ContainerRow {
	const s = c.state === 'running' ? collector.latest().get(c.id) : undefined;
	const limit = c.memoryLimitBytes ?? s?.memLimitBytes ?? null;
	return {
		id: c.id,
		name: c.name,
		stack: c.stack,
		service: c.service,
		image: c.image,
		state: c.state,
		health: c.health,
		condition: conditionOf(c),
		status: c.status,
		uptimeS:
			c.state === 'running' && c.startedAt
				? Math.max(0, Math.round((now - c.startedAt) / 1000))
				: null,
		restartCount: c.restartCount,
		failingStreak: c.failingStreak,
		cpuPct: s?.cpuPct ?? null,
		memUsedBytes: s?.memUsedBytes ?? null,
		memLimitBytes: limit,
		hasMemoryLimit: c.memoryLimitBytes !== null,
		writeBps: s?.writeBps ?? null,
		readBps: s?.readBps ?? null,
		pids: s?.pids ?? null,
		restartingSince: restarting.get(c.id)?.since ?? null
	};
}

function mapAvailability<T, U>(a: Availability<T>, fn: (t: T) => U): Availability<U> {
	if (a.state === 'ok') return { state: 'ok', data: fn(a.data), at: a.at };
	return { ...a, lastGood: a.lastGood === null ? null : fn(a.lastGood) };
}

// Rows change only when the adapter refreshes or the collector collects: build them once per
// such change, not per request (many clients polling cost one mapping).
const rowsMemo = new WeakMap<
	object,
	{ result: object; collections: number; restarts: number; rows: Availability<ContainerRow[]> }
>();

/** All rows, memoised per (refresh, collection, restart begun or ended); uptime is as of the refresh. */
function allRows({ adapter, collector }: ContainerDeps): Availability<ContainerRow[]> {
	adapter.wake(); // a reader: while Docker is down, its next attempt is not left backed off
	const result = adapter.containers();
	const collections = collector.status().collections;
	const u = underwayOf(adapter);
	const hit = rowsMemo.get(adapter);
	if (hit && hit.result === result && hit.collections === collections && hit.restarts === u.version)
		return hit.rows;
	const at = result.state === 'ok' ? result.at : (result.lastGoodAt ?? result.at);
	const rows = mapAvailability(result, (list) => list.map((c) => toRow(c, collector, at, u.byId)));
	rowsMemo.set(adapter, { result, collections, restarts: u.version, rows });
	return rows;
}

export function listContainers(
	deps: ContainerDeps,
	{ filter = 'all', stack }: { filter?: ListFilter; stack?: string } = {}
): Availability<ContainerRow[]> {
	const rows = allRows(deps);
	if (filter === 'all' && stack === undefined) return rows;
	return mapAvailability(rows, (list) =>
		list.filter(
			(r) =>
				(stack === undefined || r.stack === stack) &&
				(filter === 'all' ||
					(filter === 'unhealthy' ? r.condition === 'unhealthy' : !r.hasMemoryLimit))
		)
	);
}

export interface UnhealthyContainer {
	id: string;
	name: string;
	stack: string | null;
	service: string | null;
	/** epoch ms; see `unhealthySinceExact` */
	unhealthySince: number | null;
	/** false: the streak is older than the 5 results Docker keeps, it began at or before unhealthySince */
	unhealthySinceExact: boolean;
	failingStreak: number;
	/** newest first */
	lastResults: HealthResult[];
	restartCount: number;
}

/**
 * Each running unhealthy container. The adapter re-inspects unhealthy containers on every
 * refresh (their streak moves with each check), so the list is at most one interval old and
 * answering costs no Docker call, however often scripts poll GET /api/vm/containers/unhealthy.
 */
export function unhealthyContainers({
	adapter
}: Pick<ContainerDeps, 'adapter'>): Availability<UnhealthyContainer[]> {
	adapter.wake();
	return mapAvailability(adapter.containers(), (all) =>
		all.filter(isUnhealthy).map((c) => {
			const streak = failingStreakStart(c.healthLog, c.failingStreak);
			return {
				id: c.id,
				name: c.name,
				stack: c.stack,
				service: c.service,
				unhealthySince: streak.since,
				unhealthySinceExact: streak.exact,
				failingStreak: c.failingStreak,
				lastResults: c.healthLog.slice(-3).reverse(),
				restartCount: c.restartCount
			};
		})
	);
}

export interface ContainerDetail {
	row: ContainerRow;
	healthLog: HealthResult[];
	healthcheck: { test: string[]; intervalS: number | null; retries: number | null } | null;
	labels: Record<string, string>;
	/** names only: values are never returned (they hold secrets) */
	envNames: string[];
	mounts: { type: string; source: string; destination: string; readOnly: boolean }[];
	limits: {
		memoryBytes: number | null;
		memorySwapBytes: number | null;
		nanoCpus: number | null;
		cpuShares: number | null;
		pidsLimit: number | null;
	};
	restartPolicy: string | null;
	command: string[];
	startedAt: number | null;
	finishedAt: number | null;
	exitCode: number | null;
	oomKilled: boolean;
}

export function detailOf(
	raw: RawContainerInspect,
	info: ContainerInfo,
	collector: StatsCollector,
	now = Date.now(),
	restarting?: ReadonlyMap<string, { since: number }>
): ContainerDetail {
	const hc = raw.Config?.Healthcheck;
	const h = raw.HostConfig ?? {};
	const pos = (v: number | undefined | null) => (v && v > 0 ? v : null);
	return {
		row: toRow(info, collector, now, restarting),
		healthLog: info.healthLog,
		healthcheck:
			hc?.Test && hc.Test[0] !== 'NONE'
				? {
						test: hc.Test,
						intervalS: hc.Interval ? hc.Interval / 1e9 : null,
						retries: hc.Retries ?? null
					}
				: null,
		labels: info.labels,
		envNames: (raw.Config?.Env ?? []).map((e) => e.split('=')[0]),
		mounts: (raw.Mounts ?? []).map((m) => ({
			type: m.Type,
			source: m.Type === 'volume' ? (m.Name ?? m.Source) : m.Source,
			destination: m.Destination,
			readOnly: !m.RW
		})),
		limits: {
			memoryBytes: pos(h.Memory),
			memorySwapBytes: pos(h.MemorySwap),
			nanoCpus: pos(h.NanoCpus),
			cpuShares: pos(h.CpuShares),
			pidsLimit: pos(h.PidsLimit)
		},
		restartPolicy: h.RestartPolicy?.Name || null,
		command: [
			...(Array.isArray(raw.Config?.Entrypoint)
				? raw.Config.Entrypoint
				: raw.Config?.Entrypoint
					? [raw.Config.Entrypoint]
					: []),
			...(raw.Config?.Cmd ?? [])
		],
		startedAt: info.startedAt,
		finishedAt: info.finishedAt,
		exitCode: info.exitCode,
		oomKilled: info.oomKilled
	};
}

export type Gone = { gone: true; name: string };

/** Detail of a container already resolved from the list; `{gone}` when it vanished meanwhile. */
export async function containerDetail(
	{ adapter, collector }: ContainerDeps,
	c: ContainerInfo
): Promise<Availability<ContainerDetail | Gone>> {
	try {
		const raw = await adapter.api.inspectContainer(c.id);
		adapter.wake(); // Docker answered: the list's retry need not wait
		return {
			state: 'ok',
			data: detailOf(
				raw,
				toContainerInfo(null, raw, Date.now()),
				collector,
				Date.now(),
				underwayOf(adapter).byId
			),
			at: Date.now()
		};
	} catch (err) {
		if (err instanceof ContainerGoneError)
			return { state: 'ok', data: { gone: true, name: c.name }, at: Date.now() };
		return {
			state: 'unavailable',
			reason: err instanceof Error ? err.message : String(err),
			lastGood: null,
			lastGoodAt: null,
			at: Date.now()
		};
	}
}

export async function containerLogs(
	{ adapter }: Pick<ContainerDeps, 'adapter'>,
	c: ContainerInfo,
	tail: number
): Promise<Availability<{ text: string; lines: number } | Gone>> {
	try {
		const buf = await adapter.api.containerLogs(c.id, { tail });
		adapter.wake();
		return { state: 'ok', data: logsToText(buf, tail), at: Date.now() };
	} catch (err) {
		if (err instanceof ContainerGoneError)
			return { state: 'ok', data: { gone: true, name: c.name }, at: Date.now() };
		return {
			state: 'unavailable',
			reason: err instanceof Error ? err.message : String(err),
			lastGood: null,
			lastGoodAt: null,
			at: Date.now()
		};
	}
}

export interface RestartResult {
	id: string;
	name: string;
	/**
	 * in-progress: Docker is still waiting for the container to stop (its stop timeout) or starting
	 * it; the `actions` row stays open and is closed with what Docker did, and the row shows
	 * `restartingSince` until then.
	 */
	outcome: 'restarted' | 'gone' | 'in-progress' | 'failed';
	/** epoch ms of the new start */
	startedAt: number | null;
	/** the stop timeout Docker was given (the container's own), when known */
	stopTimeoutS?: number | null;
	error?: string;
}

/** How long a restart request waits for Docker before answering "in progress" (a 10 s stop fits). */
export const RESTART_ANSWER_MS = 20_000;

const log = createLogger('containers');

/** Restarts under way, per adapter: the page shows them until Docker's outcome is known. */
const underway = new WeakMap<
	DockerAdapter,
	{ version: number; byId: Map<string, { since: number; stopTimeoutS: number | null }> }
>();
function underwayOf(adapter: DockerAdapter) {
	let u = underway.get(adapter);
	if (!u) underway.set(adapter, (u = { version: 0, byId: new Map() }));
	return u;
}

/** Restarts still waiting for Docker (id → since, epoch ms). */
export function restartsUnderway(
	adapter: DockerAdapter
): ReadonlyMap<string, { since: number; stopTimeoutS: number | null }> {
	return underwayOf(adapter).byId;
}

/**
 * Restarts one container with an intent row before and an outcome row after, the outcome being
 * what Docker did (restartAndConfirm). Answers within `answerWithinMs`: a restart still waiting
 * for a long stop answers `in-progress` and completes its `actions` row in the background.
 * Throws DockerUnavailableError (Docker did not answer) or DockerApiError (Docker refused).
 */
export async function restartContainer(
	{ adapter, db }: { adapter: DockerAdapter; db: Db },
	c: ContainerInfo,
	who: Omit<ActionIntent, 'action' | 'target' | 'input'>,
	{
		bulk = false,
		answerWithinMs = RESTART_ANSWER_MS
	}: { bulk?: boolean; answerWithinMs?: number } = {}
): Promise<RestartResult> {
	const u = underwayOf(adapter);
	let stopTimeoutS: number | null = null;
	const work = recordAction(
		db,
		{
			...who,
			action: 'containers.restart',
			target: c.name,
			input: { id: c.id.slice(0, 12), ...(bulk ? { bulk: true } : {}) }
		},
		async (): Promise<RestartResult> => {
			try {
				const after = await adapter.restart(c.id, {
					onRequested: (r) => {
						stopTimeoutS = r.stopTimeoutS;
						u.byId.set(c.id, { since: Date.now(), stopTimeoutS });
						u.version++;
					}
				});
				if (!after)
					return { id: c.id, name: c.name, outcome: 'gone', startedAt: null, stopTimeoutS };
				return {
					id: c.id,
					name: c.name,
					outcome: 'restarted',
					startedAt: after.startedAt,
					stopTimeoutS
				};
			} catch (err) {
				if (err instanceof ContainerGoneError)
					return { id: c.id, name: c.name, outcome: 'gone', startedAt: null, stopTimeoutS };
				throw err;
			} finally {
				if (u.byId.delete(c.id)) u.version++;
			}
		},
		(r) =>
			r.outcome === 'gone'
				? 'gone: the container no longer exists'
				: `restarted, started ${r.startedAt ? new Date(r.startedAt).toISOString() : '?'}`
	);
	let timer: ReturnType<typeof setTimeout> | undefined;
	const answerBy = new Promise<null>(
		(resolve) => (timer = setTimeout(() => resolve(null), answerWithinMs))
	);
	try {
		const first = await Promise.race([work, answerBy]);
		if (first) return first;
	} finally {
		clearTimeout(timer);
	}
	// Still waiting for Docker: the outcome lands in the actions row; a failure is logged.
	work.catch((err) =>
		log.warn('restart failed after answering "in progress"', { container: c.name, err })
	);
	return { id: c.id, name: c.name, outcome: 'in-progress', startedAt: null, stopTimeoutS };
}

/** Restarts every running unhealthy container at once; each result reported (Promise.allSettled). */
export async function restartUnhealthy(
	deps: { adapter: DockerAdapter; db: Db },
	who: Omit<ActionIntent, 'action' | 'target' | 'input'>,
	opts: { answerWithinMs?: number } = {}
): Promise<RestartResult[]> {
	const list = deps.adapter.containers();
	if (list.state !== 'ok')
		throw new DockerUnavailableError(`Docker is unavailable: ${list.reason}`);
	const targets = list.data.filter(isUnhealthy);
	const settled = await Promise.allSettled(
		targets.map((c) => restartContainer(deps, c, who, { bulk: true, ...opts }))
	);
	return settled.map((s, i) =>
		s.status === 'fulfilled'
			? s.value
			: {
					id: targets[i].id,
					name: targets[i].name,
					outcome: 'failed',
					startedAt: null,
					error: s.reason instanceof Error ? s.reason.message : String(s.reason)
				}
	);
}
