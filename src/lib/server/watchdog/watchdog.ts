// The watchdog loop: Docker events (and a reconcile pass every 30 s, because events can be
// missed) → a fresh inspect → the pure policy → act, record, log, notify. Every action is
// decided on a fresh inspect made in the same evaluation, so nothing acts on stale state.
// Beside it: event-stream.ts (attach/reattach), queue.ts (one evaluation per container at a
// time), ledger.ts (restarts in the windows), state.ts (per-container memory and display),
// journal.ts (log file, notifications), metrics.ts, hold.ts, and db/watchdog-store.ts (SQLite).
import { readFile } from 'node:fs/promises';
import type { Registry } from 'prom-client';
import type { Db } from '../db';
import type { Config } from '../config';
import { createLogger, type Logger } from '../log';
import { recordAction } from '../audit/actions';
import { createEmitter } from '../emitter';
import type { ContainerView, PolicyConfig, WatchdogMode } from './policy';
import { activeMaintenanceWindow, decide, failingSince, scopeSkip } from './policy';
import type { ContainerSummary, DockerEvent, WatchdogDocker } from './docker-port';
import { createWatchdogStore } from '../db/watchdog-store';
import { composeOf, historyKey } from './history-key';
import { createOomCounter } from '../docker/oom-counter';
import { createEventStream } from './event-stream';
import { createEvaluationQueue } from './queue';
import { createRestartLedger } from './ledger';
import { createMemory, watchState, type ContainerWatch, type Entry, type Memory } from './state';
import { createWatchdogJournal, type WatchdogNotification } from './journal';
import { registerWatchdogMetrics } from './metrics';
import { readHold } from './hold';

export type WatchdogConfig = Config['watchdog'];
export type { WatchdogNotification } from './journal';
export type { ContainerWatch, ContainerWatchState } from './state';

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
	/** the kernel's OOM-kill count of a container (cgroup oom_kill), null when it cannot be read */
	oomKills?: (id: string) => number | null;
}

export function createWatchdog(deps: WatchdogDeps) {
	const { docker, db, hostId, config } = deps;
	const clock = deps.clock ?? Date.now;
	const log = deps.log ?? createLogger('watchdog');
	const store = createWatchdogStore(db, hostId);
	const journal = createWatchdogJournal({ logDir: deps.logDir, log, notify: deps.notify });
	const changes = createEmitter({ log, what: 'watchdog change listener' });
	const restartedEvents = createEmitter<RestartedEvent>({
		log,
		what: 'watchdog restarted listener'
	});
	const changed = () => changes.emit();

	let mode: WatchdogMode = config.mode;
	let started = false;
	let stopped = false;
	let lastReconcileAt: number | null = null;
	let lastError: string | null = null;
	let holdState: { reason: string } | null = null;
	let reconcileTimer: NodeJS.Timeout | null = null;
	/** restarts running now: since (epoch ms) and the stop timeout Docker was given, once known */
	const inFlight = new Map<string, { since: number; stopTimeoutS: number | null }>();
	/** containers whose restart we are making: kill/stop events in this window are ours */
	const ownRestarts = new Map<string, { from: number; to: number | null }>();
	/** containers waiting for a concurrency slot */
	const pending = new Set<string>();
	const entries = new Map<string, Entry>();
	const memory = createMemory();
	/** the longest window a restart counts in: the budget, the host-wide cap or the cooldown */
	const windowMs = Math.max(config.budgetWindowMs, config.globalWindowMs, config.cooldownMaxMs);
	const ledger = createRestartLedger(windowMs);
	const metrics = registerWatchdogMetrics(deps.metrics, () => memory.quarantined());
	const ooms = createOomCounter({ read: deps.oomKills ?? (() => null) });
	const queue = createEvaluationQueue({
		evaluate,
		clock,
		onError: (id, err) => log.error('evaluation failed', { id, err })
	});
	const stream = createEventStream({
		docker,
		clock,
		log,
		onEvent,
		onAttach() {
			lastError = null;
			changed();
			void reconcile();
		},
		onDetach(reason) {
			lastError = reason;
			changed();
		}
	});

	const policyConfig = (): PolicyConfig => ({ ...config, mode, selfIds: deps.selfIds ?? [] });
	const hold = () => readHold(deps.holdFile, (f) => readFile(f, 'utf8'));
	/** Judges the latest restart of `key` from the health now; not while a restart of `id` runs (it shows the health from before). */
	const judgeRestart = (id: string, key: string, health: string) =>
		void (inFlight.has(id) || ledger.judge(key, health));

	// --- evaluation ----------------------------------------------------------------------------
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
		const m = memory.of(key, view.name);
		const now = clock();
		// What the fresh inspect tells the memory.
		if (
			m.stoppedOnPurposeAt != null &&
			view.status === 'running' &&
			view.startedAt > m.stoppedOnPurposeAt
		)
			m.stoppedOnPurposeAt = null;
		if (m.killedAt != null && view.startedAt > m.killedAt) m.killedAt = null;
		m.healthySince = view.health === 'healthy' ? (m.healthySince ?? now) : null;
		holdState = await hold();
		ledger.prune(now);
		judgeRestart(id, key, view.health);

		const dryRun = mode === 'dry-run';
		const decision = decide({
			container: view,
			memory: { ...m, restarts: ledger.of(key, dryRun) },
			host: {
				restartsInFlight: [...inFlight.keys()],
				restarts: ledger.host(dryRun),
				hold: holdState
			},
			now,
			config: policyConfig()
		});
		if (decision.kind === 'skip' && decision.code === 'out-of-scope') {
			forget(id);
			return;
		}
		const entry = entries.get(id) ?? {
			id,
			key,
			view,
			summary: null,
			decision: null,
			decidedAt: now,
			unhealthyAt: null
		};
		Object.assign(entry, { key, view, decision, decidedAt: now });
		if (view.health !== 'unhealthy') entry.unhealthyAt = null;
		entries.set(id, entry);

		switch (decision.kind) {
			case 'restart':
				// Synchronously after decide: take a concurrency slot and count the restart.
				if (!dryRun) inFlight.set(id, { since: now, stopTimeoutS: null });
				ledger.add(key, now, dryRun);
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
				else if (decision.until !== null) queue.at(id, decision.until);
				break;
			case 'skip':
				pending.delete(id);
				break;
		}
		changed();
	}

	async function doRestart(
		entry: Entry,
		view: ContainerView,
		reason: string,
		calledAt: number,
		dryRun: boolean
	) {
		const unhealthyAt = entry.unhealthyAt ?? failingThirdCheckAt(view);
		// Reaction = the unhealthy event to the moment the restart request leaves (after the intent row).
		let reactionMs = unhealthyAt != null ? Math.max(0, Math.round(calledAt - unhealthyAt)) : null;
		const key = entry.key;
		let ok = false;
		try {
			if (dryRun) {
				await recordAction(
					db,
					{
						hostId,
						actor: 'watchdog',
						action: 'watchdog.restart',
						target: view.name,
						input: { id: view.id.slice(0, 12), key, reason, dryRun: true }
					},
					async () => undefined,
					() => `dry-run: would restart (${reason})`
				);
				await journal.write(calledAt, { kind: 'would-restart', name: view.name, reason });
			} else {
				ownRestarts.set(view.id, { from: calledAt - 1, to: null });
				await recordAction(
					db,
					{
						hostId,
						actor: 'watchdog',
						action: 'watchdog.restart',
						target: view.name,
						input: { id: view.id.slice(0, 12), key, reason, failingStreak: view.failingStreak }
					},
					() => {
						if (unhealthyAt != null) reactionMs = Math.max(0, Math.round(clock() - unhealthyAt));
						// Resolves with what Docker did: after the container's whole stop timeout when its
						// PID 1 ignores SIGTERM, or from an inspect when the answer is lost (restartAndConfirm).
						return docker.restart(view.id, {
							// the inspect this decision was made on, a moment ago: the request leaves at once
							known:
								view.stopTimeoutS !== undefined && view.startedAt > 0
									? { stopTimeoutS: view.stopTimeoutS, startedAt: view.startedAt }
									: undefined,
							onRequested: ({ stopTimeoutS }) => {
								const f = inFlight.get(view.id);
								if (f) f.stopTimeoutS = stopTimeoutS;
								changed();
							}
						});
					},
					() =>
						`restarted (${reason})${reactionMs != null ? `, ${reactionMs} ms after the unhealthy event` : ''}`
				);
				metrics.restarted(view.name);
				await journal.write(calledAt, { kind: 'restarted', name: view.name, reason });
			}
			ok = true;
			entry.unhealthyAt = null;
			log.info(dryRun ? 'would restart (dry-run)' : 'restarted', {
				container: view.name,
				reason,
				reactionMs
			});
		} catch (err) {
			lastError = `restart ${view.name}: ${(err as Error).message}`;
			log.error('restart failed', { container: view.name, err });
			await journal.write(clock(), {
				kind: 'restart-failed',
				name: view.name,
				error: (err as Error).message
			});
		} finally {
			const own = ownRestarts.get(view.id);
			if (own) own.to = clock();
			if (!dryRun) inFlight.delete(view.id);
		}
		await store
			.recordRestart({
				key,
				containerId: view.id,
				containerName: view.name,
				compose: composeOf(view.labels),
				ts: calledAt,
				reason,
				dryRun,
				outcome: ok ? 'ok' : 'error',
				reactionMs
			})
			.catch((err) => log.error('cannot store the restart', { err }));
		restartedEvents.emit({
			id: view.id,
			name: view.name,
			calledAt: unhealthyAt != null && reactionMs != null ? unhealthyAt + reactionMs : calledAt,
			unhealthyAt,
			reactionMs,
			dryRun,
			ok
		});
		await journal.notify({
			kind: ok ? 'restart' : 'restart-failed',
			hostId,
			container: view.name,
			reason,
			at: calledAt,
			dryRun
		});
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
		for (const id of ids) queue.schedule(id);
	}

	async function doQuarantine(
		entry: Entry,
		view: ContainerView,
		m: Memory,
		reason: string,
		now: number,
		dryRun: boolean
	) {
		if (dryRun) {
			// Dry-run records what it would do once per episode (the memory holds it in this process only).
			if (m.quarantinedSince != null) return;
			m.quarantinedSince = now;
			m.quarantineReason = `dry-run: ${reason}`;
			await recordAction(
				db,
				{
					hostId,
					actor: 'watchdog',
					action: 'watchdog.quarantine',
					target: view.name,
					input: { id: view.id.slice(0, 12), key: entry.key, reason, dryRun: true }
				},
				async () => undefined,
				() => `dry-run: would quarantine (${reason})`
			);
			await journal.write(now, { kind: 'would-quarantine', name: view.name, reason });
		} else {
			await recordAction(
				db,
				{
					hostId,
					actor: 'watchdog',
					action: 'watchdog.quarantine',
					target: view.name,
					input: { id: view.id.slice(0, 12), key: entry.key, reason }
				},
				() => store.quarantine({ key: entry.key, containerName: view.name, since: now, reason }),
				() => `quarantined (${reason})`
			);
			m.quarantinedSince = now;
			m.quarantineReason = reason;
			await journal.write(now, { kind: 'quarantined', name: view.name, reason });
		}
		log.warn(dryRun ? 'would quarantine (dry-run)' : 'quarantined', {
			container: view.name,
			reason
		});
		await journal.notify({
			kind: 'quarantine',
			hostId,
			container: view.name,
			reason,
			at: now,
			dryRun
		});
	}

	async function doRelease(
		id: string,
		key: string,
		m: Memory,
		reason: string,
		actor: string,
		address: string | null,
		now: number
	) {
		const dry = m.quarantineReason?.startsWith('dry-run:') ?? false;
		await recordAction(
			db,
			{
				hostId,
				actor,
				address,
				action: 'watchdog.release',
				target: m.name,
				input: { id: id.slice(0, 12), key, reason }
			},
			async () => {
				if (!dry) await store.release({ key, containerName: m.name, at: now });
			},
			() => `released (${reason})`
		);
		m.quarantinedSince = null;
		m.quarantineReason = null;
		m.releasedAt = now;
		await journal.write(now, { kind: 'released', name: m.name, reason });
		log.info('released', { container: m.name, reason, actor });
	}

	function forget(id: string) {
		entries.delete(id);
		pending.delete(id);
		ownRestarts.delete(id);
		ooms.forget(id);
		queue.cancel(id);
		changed();
	}

	// --- events ----------------------------------------------------------------------------------
	function onEvent(e: DockerEvent) {
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
				else
					entries.set(e.id, {
						id: e.id,
						key: historyKey(e.attributes, name),
						view: null,
						summary: null,
						decision: null,
						decidedAt: 0,
						unhealthyAt: e.at
					});
			}
			queue.schedule(e.id);
			return;
		}
		const key = historyKey(e.attributes, name);
		switch (action) {
			case 'kill':
			case 'stop': {
				const own = ownRestarts.get(e.id);
				if (own && e.at >= own.from && (own.to === null || e.at <= own.to + 2000)) return;
				const m = memory.of(key, name);
				if (action === 'kill') m.killedAt = e.at;
				else m.stoppedOnPurposeAt = e.at;
				queue.schedule(e.id);
				return;
			}
			case 'start': {
				ooms.started(e.id);
				const m = memory.of(key, name);
				m.killedAt = null;
				m.stoppedOnPurposeAt = null;
				m.healthySince = null;
				queue.schedule(e.id);
				return;
			}
			case 'oom': {
				// as many kills as the kernel counted since the last event (docker/oom-counter.ts)
				for (let i = ooms.onEvent(e.id, e.at); i > 0; i--) void recordOom(e.id, name, key, e.at);
				return;
			}
			case 'destroy':
				forget(e.id);
				return;
			default:
				queue.schedule(e.id);
		}
	}

	async function recordOom(id: string, name: string, key: string, at: number) {
		metrics.oomKilled(name);
		try {
			await recordAction(
				db,
				{
					hostId,
					actor: 'watchdog',
					action: 'watchdog.oom',
					target: name,
					input: { id: id.slice(0, 12), key }
				},
				async () => undefined,
				() => 'OOM kill seen in the Docker event stream'
			);
		} catch (err) {
			log.error('cannot record the OOM kill', { err });
		}
		await journal.write(at, { kind: 'oom', name });
		log.warn('container OOM-killed', { container: name });
		changed();
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
		holdState = await hold();
		const seen = new Set<string>();
		const pc = policyConfig();
		for (const s of list) {
			if (pc.onlyLabel && s.labels[pc.onlyLabel.key] !== pc.onlyLabel.value) continue;
			seen.add(s.id);
			ooms.baseline(s.id);
			const key = historyKey(s.labels, s.name);
			const m = memory.of(key, s.name);
			const entry = entries.get(s.id) ?? {
				id: s.id,
				key,
				view: null,
				summary: s,
				decision: null,
				decidedAt: now,
				unhealthyAt: null
			};
			entry.summary = s;
			entry.key = key;
			entries.set(s.id, entry);
			const inScope =
				scopeSkip(
					{
						id: s.id,
						name: s.name,
						status: s.status,
						health: s.health,
						failingStreak: 0,
						healthLog: [],
						labels: s.labels,
						startedAt: 0,
						healthIntervalMs: 30_000
					},
					pc
				) === null;
			// Inspect (and maybe act on) what could need action; the rest is shown from the list.
			if (
				inScope &&
				mode !== 'off' &&
				(s.health === 'unhealthy' ||
					m.quarantinedSince != null ||
					m.stoppedOnPurposeAt != null ||
					m.killedAt != null)
			) {
				queue.schedule(s.id);
			} else {
				const view: ContainerView = {
					id: s.id,
					name: s.name,
					status: s.status,
					health: s.health,
					failingStreak: 0,
					healthLog: [],
					labels: s.labels,
					startedAt: 0,
					healthIntervalMs: 30_000
				};
				entry.view =
					entry.view && entry.view.health === s.health && entry.view.status === s.status
						? entry.view
						: view;
				judgeRestart(s.id, key, s.health);
				entry.decision = decide({
					container: entry.view,
					memory: { ...m, restarts: ledger.of(key, mode === 'dry-run') },
					host: {
						restartsInFlight: [...inFlight.keys()],
						restarts: ledger.host(mode === 'dry-run'),
						hold: holdState
					},
					now,
					config: pc
				});
				entry.decidedAt = now;
			}
		}
		for (const id of [...entries.keys()]) if (!seen.has(id)) forget(id);
		changed();
	}

	// --- public ------------------------------------------------------------------------------------
	async function loadPersisted() {
		const now = clock();
		mode = (await store.mode()) ?? mode;
		for (const q of await store.quarantines()) {
			const m = memory.of(q.key, q.containerName);
			m.quarantinedSince = q.quarantinedSince;
			m.quarantineReason = q.reason;
			m.releasedAt = q.releasedAt;
		}
		ledger.load(await store.restartsSince(now - windowMs));
	}

	const watchdog = {
		async start() {
			if (started) return;
			started = true;
			await loadPersisted();
			stream.start();
			// while detached a pass could only fail: the reattach runs one (onAttach)
			reconcileTimer = setInterval(
				() => void (stream.status().connected && reconcile()),
				config.reconcileMs
			);
			reconcileTimer.unref?.();
			log.info('watchdog started', { mode, scope: config.scope, onlyLabel: config.onlyLabel });
		},

		async stop() {
			stopped = true;
			if (reconcileTimer) clearInterval(reconcileTimer);
			queue.stop();
			await stream.stop();
			await queue.settled();
			await reconciling;
			changes.clear();
			restartedEvents.clear();
		},

		/** Run a reconcile pass now (tests; also after setMode). */
		reconcile,

		/** Docker answers again (the adapter saw it): reattach to its events now, not after the wait. */
		retryNow: () => stream.retryNow(),

		/** Wait until no evaluation is running (tests). */
		async idle() {
			for (let i = 0; i < 50 && (queue.busy() || reconciling); i++) {
				await queue.settled();
				await reconciling;
			}
		},

		status(): WatchdogStatus {
			const now = clock();
			const dryRun = mode === 'dry-run';
			const containers = [...entries.values()]
				.filter((e) => e.view || e.summary)
				.map((e) =>
					watchState(e, {
						memory: memory.get(e.key),
						flight: inFlight.get(e.id),
						restartsInWindow: ledger
							.of(e.key, dryRun)
							.filter((t) => t > now - config.budgetWindowMs).length
					})
				);
			containers.sort((a, b) => a.name.localeCompare(b.name));
			const mw = activeMaintenanceWindow(config.maintenanceWindows, now);
			const events = stream.status();
			return {
				mode,
				scope: config.scope,
				connected: events.connected,
				attaches: events.attaches,
				lastEventAt: events.lastEventAt,
				lastReconcileAt,
				lastError,
				hold: holdState ? { file: deps.holdFile, reason: holdState.reason } : null,
				maintenance: mw ? { window: mw.window.text, endsAt: mw.endsAt } : null,
				restartsInFlight: [...inFlight.keys()],
				concurrency: config.concurrency,
				hostRestartsInWindow: ledger.host(dryRun).filter((t) => t > now - config.globalWindowMs)
					.length,
				globalCap: config.globalCap,
				quarantined: memory.quarantined(),
				containers
			};
		},

		health(): { ok: boolean; detail: string } {
			if (mode === 'off') return { ok: true, detail: 'off' };
			const { connected } = stream.status();
			const base = `${mode}; ${connected ? 'attached to Docker events' : `not attached${lastError ? ` (${lastError})` : ''}`}; ${memory.quarantined()} quarantined`;
			return { ok: connected, detail: base };
		},

		mode: () => mode,

		async setMode(next: WatchdogMode, who: { actor: string; address?: string | null }) {
			const prev = mode;
			await recordAction(
				db,
				{
					hostId,
					actor: who.actor,
					address: who.address ?? null,
					action: 'watchdog.setMode',
					target: 'watchdog',
					input: { mode: next }
				},
				async () => {
					await store.saveMode(next, clock());
					mode = next;
					// What dry-run would have quarantined was never real.
					for (const m of memory.values())
						if (m.quarantineReason?.startsWith('dry-run:'))
							Object.assign(m, { quarantinedSince: null, quarantineReason: null });
				},
				() => `mode ${prev} -> ${next}`
			);
			log.info('mode changed', { from: prev, to: next, actor: who.actor });
			changed();
			void reconcile();
			return { mode };
		},

		/** Operator release of a quarantined container (by id, id prefix ≥ 12, or name among the watched). */
		async release(idOrName: string, who: { actor: string; address?: string | null }) {
			const entry = [...entries.values()].find(
				(e) =>
					e.id === idOrName ||
					(idOrName.length >= 12 && e.id.startsWith(idOrName)) ||
					(e.view?.name ?? e.summary?.name) === idOrName
			);
			if (!entry)
				throw new WatchdogError(
					'NOT_FOUND',
					`no watched container ${JSON.stringify(idOrName.slice(0, 80))}`
				);
			const m = memory.get(entry.key);
			if (!m || m.quarantinedSince == null)
				throw new WatchdogError(
					'NOT_QUARANTINED',
					`${m?.name ?? entry.id.slice(0, 12)} is not quarantined`
				);
			await doRelease(entry.id, entry.key, m, 'operator', who.actor, who.address ?? null, clock());
			changed();
			queue.schedule(entry.id);
			return { id: entry.id, name: m.name, released: true };
		},

		on<K extends 'change' | 'restarted'>(
			event: K,
			fn: K extends 'restarted' ? (e: RestartedEvent) => void : () => void
		): () => void {
			const off =
				event === 'restarted'
					? restartedEvents.on(fn as (e: RestartedEvent) => void)
					: changes.on(fn as () => void);
			return () => void off();
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
