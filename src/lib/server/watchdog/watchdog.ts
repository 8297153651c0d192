// The watchdog loop: Docker events (and a reconcile pass every 30 s, because events can be
// missed) → a fresh inspect → the pure policy → act, record, log, notify. Every action is
// decided on a fresh inspect made in the same evaluation, so nothing acts on stale state.
import { EventEmitter } from 'node:events';
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Db } from '../db';
import { settings } from '../db/schema';
import type { Config } from '../config';
import { createLogger, type Logger } from '../log';
import { recordAction } from '../audit/actions';
import type { ContainerView, Decision, PolicyConfig, WatchdogMode } from './policy';
import { activeMaintenanceWindow, decide, failingSince, iso, scopeSkip } from './policy';
import type { ContainerSummary, DockerEvent, WatchdogDocker } from './docker-port';
import { createWatchdogStore, historyKey } from './store';
import { formatWatchdogLine, WATCHDOG_LOG_FILE, type WatchdogLogEvent } from './log-line';

export type WatchdogConfig = Config['watchdog'];

export interface WatchdogNotification {
	kind: 'restart' | 'restart-failed' | 'quarantine';
	hostId: string;
	container: string;
	reason: string;
	at: number;
	dryRun: boolean;
}

export type ContainerWatchState = 'watching' | 'restarting' | 'cooling-down' | 'waiting' | 'quarantined' | 'opted-out' | 'skipped' | 'off';

export interface ContainerWatch {
	id: string;
	name: string;
	key: string;
	status: string;
	health: string;
	failingStreak: number;
	state: ContainerWatchState;
	reason: string;
	/** epoch ms: end of a cooldown or wait, when known */
	until: number | null;
	quarantinedSince: number | null;
	restartsInWindow: number;
	decidedAt: number;
}

export interface WatchdogStatus {
	mode: WatchdogMode;
	scope: WatchdogConfig['scope'];
	connected: boolean;
	attaches: number;
	lastEventAt: number | null;
	lastReconcileAt: number | null;
	lastError: string | null;
	hold: { file: string; reason: string } | null;
	maintenance: { window: string; endsAt: number } | null;
	/** ids of the containers being restarted now (at most `concurrency`) */
	restartsInFlight: string[];
	concurrency: number;
	/** restarts in the window that count against the cap: those that did not (yet) help */
	hostRestartsInWindow: number;
	globalCap: number;
	quarantined: number;
	containers: ContainerWatch[];
}

export interface RestartedEvent {
	id: string;
	name: string;
	calledAt: number;
	/** the health_status: unhealthy event's time, when seen */
	unhealthyAt: number | null;
	reactionMs: number | null;
	dryRun: boolean;
	ok: boolean;
}

interface Memory {
	killedAt: number | null;
	stoppedOnPurposeAt: number | null;
	quarantinedSince: number | null;
	quarantineReason: string | null;
	releasedAt: number | null;
	healthySince: number | null;
	name: string;
}

interface Entry {
	id: string;
	key: string;
	view: ContainerView | null;
	summary: ContainerSummary | null;
	decision: Decision | null;
	decidedAt: number;
	unhealthyAt: number | null;
}

export interface WatchdogDeps {
	docker: WatchdogDocker;
	db: Db;
	hostId: string;
	config: WatchdogConfig;
	holdFile: string;
	logDir: string;
	metrics?: Registry;
	clock?: () => number;
	notify?: (n: WatchdogNotification) => void | Promise<void>;
	log?: Logger;
	selfIds?: string[];
}

const MODE_SETTING = 'watchdog.mode';
/** Resolves after `ms`, or at once when `signal` aborts. */
const sleep = (ms: number, signal: AbortSignal) =>
	new Promise<void>((resolve) => {
		if (signal.aborted) return resolve();
		const t = setTimeout(done, ms);
		function done() {
			clearTimeout(t);
			signal.removeEventListener('abort', done);
			resolve();
		}
		signal.addEventListener('abort', done, { once: true });
	});

export function createWatchdog(deps: WatchdogDeps) {
	const { docker, db, hostId, config } = deps;
	const clock = deps.clock ?? Date.now;
	const log = deps.log ?? createLogger('watchdog');
	const notify = deps.notify ?? ((n: WatchdogNotification) => log.warn(`notify: ${n.kind} ${n.container} (${n.reason})`, { ...n }));
	const store = createWatchdogStore(db, hostId);
	const emitter = new EventEmitter();
	emitter.setMaxListeners(100);

	let mode: WatchdogMode = config.mode;
	let started = false;
	let stopped = false;
	const stopAc = new AbortController();
	let connected = false;
	let attaches = 0;
	let lastEventAt: number | null = null;
	let lastReconcileAt: number | null = null;
	let lastError: string | null = null;
	/** restarts running now: since (epoch ms) and the stop timeout Docker was given, once known */
	const inFlight = new Map<string, { since: number; stopTimeoutS: number | null }>();
	let streamAbort: AbortController | null = null;
	let reconcileTimer: NodeJS.Timeout | null = null;
	let eventsLoop: Promise<void> | null = null;
	let logFileWarned = false;

	const entries = new Map<string, Entry>();
	const memory = new Map<string, Memory>();
	/**
	 * Every restart in the longest window. `helped`: the container was healthy after it and has not
	 * turned unhealthy since; such restarts leave the host-wide cap (decision 0017).
	 */
	const restarts: { key: string; ts: number; dryRun: boolean; helped: boolean }[] = [];
	/** containers whose restart we are making: kill/stop events in this window are ours */
	const ownRestarts = new Map<string, { from: number; to: number | null }>();
	const pending = new Set<string>();
	const lastOomAt = new Map<string, number>();
	const timers = new Map<string, NodeJS.Timeout>();
	const sched = new Map<string, { running: boolean; again: boolean; done: Promise<void> }>();
	let holdState: { reason: string } | null = null;

	// --- metrics -----------------------------------------------------------------------------
	const restartsTotal = deps.metrics
		? new Counter({ name: 'vmwarden_watchdog_restarts_total', help: 'Containers restarted by the watchdog', labelNames: ['container'], registers: [deps.metrics] })
		: null;
	const oomTotal = deps.metrics
		? new Counter({ name: 'vmwarden_container_oom_kills_total', help: 'OOM kills seen in the Docker event stream since the app started', labelNames: ['container'], registers: [deps.metrics] })
		: null;
	if (deps.metrics) {
		new Gauge({
			name: 'vmwarden_watchdog_quarantined',
			help: 'Containers the watchdog has quarantined (no more restarts until stable or released)',
			registers: [deps.metrics],
			collect() {
				this.set(quarantinedCount());
			}
		});
	}

	// Real quarantines only: what dry-run would have quarantined is shown per container, not counted here.
	const quarantinedCount = () => [...memory.values()].filter((m) => m.quarantinedSince != null && !m.quarantineReason?.startsWith('dry-run:')).length;

	function policyConfig(): PolicyConfig {
		return { ...config, mode, selfIds: deps.selfIds ?? [] };
	}

	function memoryFor(key: string, name: string): Memory {
		let m = memory.get(key);
		if (!m) {
			m = { killedAt: null, stoppedOnPurposeAt: null, quarantinedSince: null, quarantineReason: null, releasedAt: null, healthySince: null, name };
			memory.set(key, m);
		}
		m.name = name;
		return m;
	}

	const maxWindow = () => Math.max(config.budgetWindowMs, config.globalWindowMs, config.cooldownMaxMs);
	function pruneRestarts(now: number) {
		const floor = now - maxWindow();
		while (restarts.length && restarts[0].ts <= floor) restarts.shift();
	}
	const restartsOf = (key: string, dryRun: boolean) => restarts.filter((r) => r.key === key && r.dryRun === dryRun).map((r) => r.ts);
	const hostRestarts = (dryRun: boolean) => restarts.filter((r) => r.dryRun === dryRun && !r.helped).map((r) => r.ts);

	/**
	 * Judges the latest restart of `key` from the container's health now: healthy → it helped;
	 * unhealthy → it did not (counts against the host-wide cap again). A restart still running
	 * is not judged (its container shows the health from before it).
	 */
	function judgeRestart(id: string, key: string, health: string) {
		if (inFlight.has(id) || (health !== 'healthy' && health !== 'unhealthy')) return;
		for (let i = restarts.length - 1; i >= 0; i--) {
			if (restarts[i].key !== key) continue;
			restarts[i].helped = health === 'healthy';
			return;
		}
	}

	async function readHold(): Promise<{ reason: string } | null> {
		try {
			const text = await readFile(deps.holdFile, 'utf8');
			return { reason: text.split('\n')[0].trim().slice(0, 200) };
		} catch (err) {
			if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
			// present but unreadable: still a hold
			return { reason: '' };
		}
	}

	async function writeLog(at: number, e: WatchdogLogEvent) {
		try {
			await appendFile(path.join(deps.logDir, WATCHDOG_LOG_FILE), formatWatchdogLine(at, e));
		} catch (err) {
			if (!logFileWarned) log.warn(`cannot append to ${path.join(deps.logDir, WATCHDOG_LOG_FILE)}`, { err });
			logFileWarned = true;
		}
	}

	async function safeNotify(n: WatchdogNotification) {
		try {
			await notify(n);
		} catch (err) {
			log.warn('notification hook failed', { err });
		}
	}

	const changed = () => emitter.emit('change');

	// --- evaluation ----------------------------------------------------------------------------
	function schedule(id: string) {
		if (stopped) return;
		let s = sched.get(id);
		if (s?.running) {
			s.again = true;
			return;
		}
		s = { running: true, again: false, done: Promise.resolve() };
		sched.set(id, s);
		const state = s;
		state.done = (async () => {
			try {
				do {
					state.again = false;
					await evaluate(id);
				} while (state.again && !stopped);
			} catch (err) {
				log.error('evaluation failed', { id, err });
			} finally {
				state.running = false;
				sched.delete(id);
			}
		})();
	}

	function setTimer(id: string, atMs: number) {
		const old = timers.get(id);
		if (old) clearTimeout(old);
		const delay = Math.max(0, Math.min(atMs - clock(), 2 ** 31 - 1)) + 20;
		const t = setTimeout(() => {
			timers.delete(id);
			schedule(id);
		}, delay);
		t.unref?.();
		timers.set(id, t);
	}

	async function evaluate(id: string) {
		if (stopped) return;
		let view: ContainerView | null;
		try {
			view = await docker.inspect(id);
		} catch (err) {
			lastError = `inspect ${id.slice(0, 12)}: ${(err as Error).message}`;
			return; // no fresh state, no action; the reconcile pass or the next event retries
		}
		if (!view) {
			forget(id);
			return;
		}
		const key = historyKey(view.labels, view.name);
		const m = memoryFor(key, view.name);
		const now = clock();
		// What the fresh inspect tells the memory.
		if (m.stoppedOnPurposeAt != null && view.status === 'running' && view.startedAt > m.stoppedOnPurposeAt) m.stoppedOnPurposeAt = null;
		if (m.killedAt != null && view.startedAt > m.killedAt) m.killedAt = null;
		m.healthySince = view.health === 'healthy' ? (m.healthySince ?? now) : null;
		holdState = await readHold();
		pruneRestarts(now);
		judgeRestart(id, key, view.health);

		const dryRun = mode === 'dry-run';
		const decision = decide({
			container: view,
			memory: { ...m, restarts: restartsOf(key, dryRun) },
			host: { restartsInFlight: [...inFlight.keys()], restarts: hostRestarts(dryRun), hold: holdState },
			now,
			config: policyConfig()
		});
		if (decision.kind === 'skip' && decision.code === 'out-of-scope') {
			forget(id);
			return;
		}
		const entry = entries.get(id) ?? { id, key, view, summary: null, decision: null, decidedAt: now, unhealthyAt: null };
		Object.assign(entry, { key, view, decision, decidedAt: now });
		if (view.health !== 'unhealthy') entry.unhealthyAt = null;
		entries.set(id, entry);

		switch (decision.kind) {
			case 'restart':
				// Synchronously after decide: take a concurrency slot and count the restart.
				if (!dryRun) inFlight.set(id, { since: now, stopTimeoutS: null });
				restarts.push({ key, ts: now, dryRun, helped: false });
				pending.delete(id);
				changed();
				await doRestart(entry, view, decision.reason, now, dryRun);
				break;
			case 'quarantine':
				await doQuarantine(entry, view, m, decision.reason, now, dryRun);
				break;
			case 'release':
				await doRelease(view.id, key, m, `auto: ${decision.reason}`, 'watchdog', null, now);
				break;
			case 'wait':
				if (decision.code === 'in-flight') pending.add(id);
				else if (decision.until !== null) setTimer(id, decision.until);
				break;
			case 'skip':
				pending.delete(id);
				break;
		}
		changed();
	}

	async function doRestart(entry: Entry, view: ContainerView, reason: string, calledAt: number, dryRun: boolean) {
		const unhealthyAt = entry.unhealthyAt ?? failingThirdCheckAt(view);
		// Reaction = the unhealthy event to the moment the restart request leaves (after the intent row).
		let reactionMs = unhealthyAt != null ? Math.max(0, Math.round(calledAt - unhealthyAt)) : null;
		const key = entry.key;
		let ok = false;
		try {
			if (dryRun) {
				await recordAction(db, { hostId, actor: 'watchdog', action: 'watchdog.restart', target: view.name, input: { id: view.id.slice(0, 12), key, reason, dryRun: true } }, async () => undefined, () => `dry-run: would restart (${reason})`);
				await writeLog(calledAt, { kind: 'would-restart', name: view.name, reason });
			} else {
				ownRestarts.set(view.id, { from: calledAt - 1, to: null });
				await recordAction(
					db,
					{ hostId, actor: 'watchdog', action: 'watchdog.restart', target: view.name, input: { id: view.id.slice(0, 12), key, reason, failingStreak: view.failingStreak } },
					() => {
						if (unhealthyAt != null) reactionMs = Math.max(0, Math.round(clock() - unhealthyAt));
						// Resolves with what Docker did: after the container's whole stop timeout when its
						// PID 1 ignores SIGTERM, or from an inspect when the answer is lost (restartAndConfirm).
						return docker.restart(view.id, {
							// the inspect this decision was made on, a moment ago: the request leaves at once
							known: view.stopTimeoutS !== undefined && view.startedAt > 0 ? { stopTimeoutS: view.stopTimeoutS, startedAt: view.startedAt } : undefined,
							onRequested: ({ stopTimeoutS }) => {
								const f = inFlight.get(view.id);
								if (f) f.stopTimeoutS = stopTimeoutS;
								changed();
							}
						});
					},
					() => `restarted (${reason})${reactionMs != null ? `, ${reactionMs} ms after the unhealthy event` : ''}`
				);
				restartsTotal?.inc({ container: view.name });
				await writeLog(calledAt, { kind: 'restarted', name: view.name, reason });
			}
			ok = true;
			entry.unhealthyAt = null;
			log.info(dryRun ? 'would restart (dry-run)' : 'restarted', { container: view.name, reason, reactionMs });
		} catch (err) {
			lastError = `restart ${view.name}: ${(err as Error).message}`;
			log.error('restart failed', { container: view.name, err });
			await writeLog(clock(), { kind: 'restart-failed', name: view.name, error: (err as Error).message });
		} finally {
			const own = ownRestarts.get(view.id);
			if (own) own.to = clock();
			if (!dryRun) inFlight.delete(view.id);
		}
		await store.recordRestart({ key, containerId: view.id, containerName: view.name, labels: view.labels, ts: calledAt, reason, dryRun, outcome: ok ? 'ok' : 'error', reactionMs }).catch((err) => log.error('cannot store the restart', { err }));
		emitter.emit('restarted', { id: view.id, name: view.name, calledAt: unhealthyAt != null && reactionMs != null ? unhealthyAt + reactionMs : calledAt, unhealthyAt, reactionMs, dryRun, ok } satisfies RestartedEvent);
		await safeNotify({ kind: ok ? 'restart' : 'restart-failed', hostId, container: view.name, reason, at: calledAt, dryRun });
		drainPending();
	}

	/** Without the event (missed, or seen before a reconnect): the end of the check that made the streak reach the threshold. */
	function failingThirdCheckAt(view: ContainerView): number | null {
		const since = failingSince(view.healthLog);
		if (since === null) return null;
		const failing = view.healthLog.filter((l) => l.startedAt >= since);
		return failing[Math.min(2, failing.length - 1)]?.endedAt ?? null;
	}

	function drainPending() {
		const ids = [...pending];
		pending.clear();
		// Oldest failing streak first.
		const order = (id: string) => {
			const v = entries.get(id)?.view;
			return (v && failingSince(v.healthLog)) ?? Infinity;
		};
		ids.sort((a, b) => order(a) - order(b));
		for (const id of ids) schedule(id);
	}

	async function doQuarantine(entry: Entry, view: ContainerView, m: Memory, reason: string, now: number, dryRun: boolean) {
		if (dryRun) {
			// Dry-run records what it would do once per episode (the memory holds it in this process only).
			if (m.quarantinedSince != null) return;
			m.quarantinedSince = now;
			m.quarantineReason = `dry-run: ${reason}`;
			await recordAction(db, { hostId, actor: 'watchdog', action: 'watchdog.quarantine', target: view.name, input: { id: view.id.slice(0, 12), key: entry.key, reason, dryRun: true } }, async () => undefined, () => `dry-run: would quarantine (${reason})`);
			await writeLog(now, { kind: 'would-quarantine', name: view.name, reason });
		} else {
			await recordAction(db, { hostId, actor: 'watchdog', action: 'watchdog.quarantine', target: view.name, input: { id: view.id.slice(0, 12), key: entry.key, reason } }, () => store.quarantine({ key: entry.key, containerName: view.name, since: now, reason }), () => `quarantined (${reason})`);
			m.quarantinedSince = now;
			m.quarantineReason = reason;
			await writeLog(now, { kind: 'quarantined', name: view.name, reason });
		}
		log.warn(dryRun ? 'would quarantine (dry-run)' : 'quarantined', { container: view.name, reason });
		await safeNotify({ kind: 'quarantine', hostId, container: view.name, reason, at: now, dryRun });
	}

	async function doRelease(id: string, key: string, m: Memory, reason: string, actor: string, address: string | null, now: number) {
		const dry = m.quarantineReason?.startsWith('dry-run:') ?? false;
		await recordAction(db, { hostId, actor, address, action: 'watchdog.release', target: m.name, input: { id: id.slice(0, 12), key, reason } }, async () => {
			if (!dry) await store.release({ key, containerName: m.name, at: now });
		}, () => `released (${reason})`);
		m.quarantinedSince = null;
		m.quarantineReason = null;
		m.releasedAt = now;
		await writeLog(now, { kind: 'released', name: m.name, reason });
		log.info('released', { container: m.name, reason, actor });
	}

	function forget(id: string) {
		entries.delete(id);
		pending.delete(id);
		ownRestarts.delete(id);
		lastOomAt.delete(id);
		const t = timers.get(id);
		if (t) clearTimeout(t);
		timers.delete(id);
		changed();
	}

	// --- events ----------------------------------------------------------------------------------
	function onEvent(e: DockerEvent) {
		lastEventAt = clock();
		if (!e.id) return;
		// Event attributes carry the container's labels: out-of-scope containers cost nothing.
		if (config.onlyLabel && e.attributes[config.onlyLabel.key] !== config.onlyLabel.value) return;
		const action = e.action;
		const name = e.name || e.id.slice(0, 12);
		if (action.startsWith('health_status')) {
			const status = action.slice(action.indexOf(':') + 1).trim();
			const entry = entries.get(e.id);
			if (status === 'unhealthy') {
				if (entry) entry.unhealthyAt = e.at;
				else entries.set(e.id, { id: e.id, key: historyKey(e.attributes, name), view: null, summary: null, decision: null, decidedAt: 0, unhealthyAt: e.at });
			}
			schedule(e.id);
			return;
		}
		const key = historyKey(e.attributes, name);
		switch (action) {
			case 'kill':
			case 'stop': {
				const own = ownRestarts.get(e.id);
				if (own && e.at >= own.from && (own.to === null || e.at <= own.to + 2000)) return;
				const m = memoryFor(key, name);
				if (action === 'kill') m.killedAt = e.at;
				else m.stoppedOnPurposeAt = e.at;
				schedule(e.id);
				return;
			}
			case 'start': {
				const m = memoryFor(key, name);
				m.killedAt = null;
				m.stoppedOnPurposeAt = null;
				m.healthySince = null;
				schedule(e.id);
				return;
			}
			case 'oom': {
				// On cgroup v2 one kernel OOM kill can reach us as two `oom` events a few ms apart
				// (seen on the rig's dockerd): events within 1 s for one container count once.
				const prev = lastOomAt.get(e.id);
				lastOomAt.set(e.id, e.at);
				if (prev !== undefined && e.at - prev < 1000) return;
				void recordOom(e.id, name, key, e.at);
				return;
			}
			case 'destroy':
				forget(e.id);
				return;
			default:
				schedule(e.id);
		}
	}

	async function recordOom(id: string, name: string, key: string, at: number) {
		oomTotal?.inc({ container: name });
		try {
			await recordAction(db, { hostId, actor: 'watchdog', action: 'watchdog.oom', target: name, input: { id: id.slice(0, 12), key } }, async () => undefined, () => 'OOM kill seen in the Docker event stream');
		} catch (err) {
			log.error('cannot record the OOM kill', { err });
		}
		await writeLog(at, { kind: 'oom', name });
		log.warn('container OOM-killed', { container: name });
		changed();
	}

	async function eventLoop() {
		let backoff = 250;
		while (!stopped) {
			const ac = new AbortController();
			streamAbort = ac;
			const attachStart = clock();
			try {
				await docker.ping();
				let streamDone: Promise<void> | null = docker.streamEvents(onEvent, ac.signal);
				// getEvents resolves once the daemon answered: attached. Reconcile after attaching so
				// anything that changed while we were away is re-inspected before any action.
				connected = true;
				attaches++;
				lastError = null;
				changed();
				void reconcile();
				await streamDone;
				streamDone = null;
				if (stopped) break;
				lastError = 'event stream ended (daemon restarting?)';
			} catch (err) {
				if (stopped) break;
				lastError = `events: ${(err as Error).message}`;
			}
			if (connected) log.warn('lost the Docker event stream; reattaching', { reason: lastError });
			connected = false;
			changed();
			if (clock() - attachStart > 10_000) backoff = 250;
			await sleep(backoff, stopAc.signal);
			backoff = Math.min(backoff * 2, 5000);
		}
	}

	// --- reconcile -------------------------------------------------------------------------------
	let reconciling: Promise<void> | null = null;
	function reconcile(): Promise<void> {
		reconciling ??= reconcileOnce().finally(() => (reconciling = null));
		return reconciling;
	}

	async function reconcileOnce() {
		let list: ContainerSummary[];
		try {
			list = await docker.list();
		} catch (err) {
			lastError = `list: ${(err as Error).message}`;
			changed();
			return;
		}
		const now = clock();
		lastReconcileAt = now;
		holdState = await readHold();
		const seen = new Set<string>();
		const pc = policyConfig();
		for (const s of list) {
			if (pc.onlyLabel && s.labels[pc.onlyLabel.key] !== pc.onlyLabel.value) continue;
			seen.add(s.id);
			const key = historyKey(s.labels, s.name);
			const m = memoryFor(key, s.name);
			const entry = entries.get(s.id) ?? { id: s.id, key, view: null, summary: s, decision: null, decidedAt: now, unhealthyAt: null };
			entry.summary = s;
			entry.key = key;
			entries.set(s.id, entry);
			const inScope = scopeSkip({ id: s.id, name: s.name, status: s.status, health: s.health, failingStreak: 0, healthLog: [], labels: s.labels, startedAt: 0, healthIntervalMs: 30_000 }, pc) === null;
			// Inspect (and maybe act on) what could need action; the rest is shown from the list.
			if (inScope && mode !== 'off' && (s.health === 'unhealthy' || m.quarantinedSince != null || m.stoppedOnPurposeAt != null || m.killedAt != null)) {
				schedule(s.id);
			} else {
				const view: ContainerView = { id: s.id, name: s.name, status: s.status, health: s.health, failingStreak: 0, healthLog: [], labels: s.labels, startedAt: 0, healthIntervalMs: 30_000 };
				entry.view = entry.view && entry.view.health === s.health && entry.view.status === s.status ? entry.view : view;
				judgeRestart(s.id, key, s.health);
				entry.decision = decide({ container: entry.view, memory: { ...m, restarts: restartsOf(key, mode === 'dry-run') }, host: { restartsInFlight: [...inFlight.keys()], restarts: hostRestarts(mode === 'dry-run'), hold: holdState }, now, config: pc });
				entry.decidedAt = now;
			}
		}
		for (const id of [...entries.keys()]) if (!seen.has(id)) forget(id);
		changed();
	}

	// --- public ------------------------------------------------------------------------------------
	function watchState(e: Entry, now: number): ContainerWatch {
		const v = e.view;
		const s = e.summary;
		const m = memory.get(e.key);
		const d = e.decision;
		let state: ContainerWatchState = 'watching';
		let reason = d && 'reason' in d ? d.reason : 'not evaluated yet';
		let until: number | null = null;
		const flight = inFlight.get(e.id);
		if (flight) {
			state = 'restarting';
			reason = `restart in progress since ${iso(flight.since)}${flight.stopTimeoutS != null ? ` (Docker waits up to ${flight.stopTimeoutS} s for it to stop)` : ''}`;
		} else if (m?.quarantinedSince != null) {
			state = 'quarantined';
			reason = `quarantined since ${iso(m.quarantinedSince)}${m.quarantineReason ? `: ${m.quarantineReason}` : ''}`;
		} else if (d?.kind === 'skip') {
			state = d.code === 'off' ? 'off' : d.code === 'opted-out' || d.code === 'not-labelled' || d.code === 'self' ? 'opted-out' : d.code === 'healthy' || d.code === 'starting' ? 'watching' : 'skipped';
		} else if (d?.kind === 'wait') {
			state = d.code === 'cooldown' ? 'cooling-down' : d.code === 'streak' ? 'watching' : 'waiting';
			until = d.until;
		}
		const dryRun = mode === 'dry-run';
		return {
			id: e.id,
			name: v?.name ?? s?.name ?? e.id.slice(0, 12),
			key: e.key,
			status: v?.status ?? s?.status ?? 'unknown',
			health: v?.health ?? s?.health ?? 'none',
			failingStreak: v?.failingStreak ?? 0,
			state,
			reason,
			until,
			quarantinedSince: m?.quarantinedSince ?? null,
			restartsInWindow: restartsOf(e.key, dryRun).filter((t) => t > now - config.budgetWindowMs).length,
			decidedAt: e.decidedAt
		};
	}

	async function loadPersisted() {
		const now = clock();
		const [row] = await db.select().from(settings).where(eq(settings.key, MODE_SETTING));
		if (row && (row.value === 'on' || row.value === 'off' || row.value === 'dry-run')) mode = row.value;
		for (const q of await store.quarantines()) {
			const m = memoryFor(q.key, q.containerName);
			m.quarantinedSince = q.quarantinedSince;
			m.quarantineReason = q.reason;
			m.releasedAt = q.releasedAt;
		}
		for (const dryRun of [false, true]) {
			const rows = await db.$client.execute({
				sql: 'SELECT key, ts FROM watchdog_restarts WHERE host_id = ? AND dry_run = ? AND ts > ? ORDER BY ts',
				args: [hostId, dryRun ? 1 : 0, now - maxWindow()]
			});
			// not judged yet: the reconcile after attaching sees which of them helped
			for (const r of rows.rows) restarts.push({ key: String(r.key), ts: Number(r.ts), dryRun, helped: false });
		}
		restarts.sort((a, b) => a.ts - b.ts);
	}

	const watchdog = {
		async start() {
			if (started) return;
			started = true;
			await loadPersisted();
			eventsLoop = eventLoop();
			reconcileTimer = setInterval(() => void reconcile(), config.reconcileMs);
			reconcileTimer.unref?.();
			log.info('watchdog started', { mode, scope: config.scope, onlyLabel: config.onlyLabel });
		},

		async stop() {
			stopped = true;
			stopAc.abort();
			if (reconcileTimer) clearInterval(reconcileTimer);
			for (const t of timers.values()) clearTimeout(t);
			timers.clear();
			streamAbort?.abort();
			await eventsLoop;
			await Promise.allSettled([...sched.values()].map((s) => s.done));
			await reconciling;
			emitter.removeAllListeners();
		},

		/** Run a reconcile pass now (tests; also after setMode). */
		reconcile,

		/** Wait until no evaluation is running (tests). */
		async idle() {
			for (let i = 0; i < 50 && (sched.size > 0 || reconciling); i++) {
				await Promise.allSettled([...sched.values()].map((s) => s.done));
				await reconciling;
			}
		},

		status(): WatchdogStatus {
			const now = clock();
			const containers = [...entries.values()].filter((e) => e.view || e.summary).map((e) => watchState(e, now));
			containers.sort((a, b) => a.name.localeCompare(b.name));
			const mw = activeMaintenanceWindow(config.maintenanceWindows, now);
			return {
				mode,
				scope: config.scope,
				connected,
				attaches,
				lastEventAt,
				lastReconcileAt,
				lastError,
				hold: holdState ? { file: deps.holdFile, reason: holdState.reason } : null,
				maintenance: mw ? { window: mw.window.text, endsAt: mw.endsAt } : null,
				restartsInFlight: [...inFlight.keys()],
				concurrency: config.concurrency,
				hostRestartsInWindow: hostRestarts(mode === 'dry-run').filter((t) => t > now - config.globalWindowMs).length,
				globalCap: config.globalCap,
				quarantined: quarantinedCount(),
				containers
			};
		},

		health(): { ok: boolean; detail: string } {
			if (mode === 'off') return { ok: true, detail: 'off' };
			const q = quarantinedCount();
			const base = `${mode}; ${connected ? 'attached to Docker events' : `not attached${lastError ? ` (${lastError})` : ''}`}; ${q} quarantined`;
			return { ok: connected, detail: base };
		},

		mode: () => mode,

		async setMode(next: WatchdogMode, who: { actor: string; address?: string | null }) {
			const prev = mode;
			await recordAction(db, { hostId, actor: who.actor, address: who.address ?? null, action: 'watchdog.setMode', target: 'watchdog', input: { mode: next } }, async () => {
				const now = clock();
				await db.insert(settings).values({ key: MODE_SETTING, value: next, updatedAt: now }).onConflictDoUpdate({ target: settings.key, set: { value: next, updatedAt: now } });
				mode = next;
				// What dry-run would have quarantined was never real.
				for (const m of memory.values()) if (m.quarantineReason?.startsWith('dry-run:')) Object.assign(m, { quarantinedSince: null, quarantineReason: null });
			}, () => `mode ${prev} -> ${next}`);
			log.info('mode changed', { from: prev, to: next, actor: who.actor });
			changed();
			void reconcile();
			return { mode };
		},

		/** Operator release of a quarantined container (by id, id prefix ≥ 12, or name among the watched). */
		async release(idOrName: string, who: { actor: string; address?: string | null }) {
			const entry = [...entries.values()].find((e) => e.id === idOrName || (idOrName.length >= 12 && e.id.startsWith(idOrName)) || (e.view?.name ?? e.summary?.name) === idOrName);
			if (!entry) throw new WatchdogError('NOT_FOUND', `no watched container ${JSON.stringify(idOrName.slice(0, 80))}`);
			const m = memory.get(entry.key);
			if (!m || m.quarantinedSince == null) throw new WatchdogError('NOT_QUARANTINED', `${m?.name ?? entry.id.slice(0, 12)} is not quarantined`);
			await doRelease(entry.id, entry.key, m, 'operator', who.actor, who.address ?? null, clock());
			changed();
			schedule(entry.id);
			return { id: entry.id, name: m.name, released: true };
		},

		on<K extends 'change' | 'restarted'>(event: K, fn: K extends 'restarted' ? (e: RestartedEvent) => void : () => void): () => void {
			emitter.on(event, fn);
			return () => void emitter.off(event, fn);
		},

		store,
		config,
		docker,
		hostId,
		db
	};
	return watchdog;
}

export type Watchdog = ReturnType<typeof createWatchdog>;

export class WatchdogError extends Error {
	constructor(
		readonly code: 'NOT_FOUND' | 'NOT_QUARANTINED' | 'CONFLICT' | 'UNAVAILABLE',
		message: string,
		options?: ErrorOptions
	) {
		super(message, options);
		this.name = 'WatchdogError';
	}
}
