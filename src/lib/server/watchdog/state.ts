// What the watchdog holds per container (Entry: the latest view and decision, by id) and per
// history key (Memory: kills, stops, quarantine, health, across re-creation), and how a
// container is shown (ContainerWatch).
import type { ContainerView, Decision } from './policy';
import { iso } from './policy';
import type { ContainerSummary } from './docker-port';

export type ContainerWatchState =
	| 'watching'
	| 'restarting'
	| 'cooling-down'
	| 'waiting'
	| 'quarantined'
	| 'opted-out'
	| 'skipped'
	| 'off';

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

export interface Memory {
	killedAt: number | null;
	stoppedOnPurposeAt: number | null;
	quarantinedSince: number | null;
	quarantineReason: string | null;
	releasedAt: number | null;
	healthySince: number | null;
	name: string;
}

export interface Entry {
	id: string;
	key: string;
	view: ContainerView | null;
	summary: ContainerSummary | null;
	decision: Decision | null;
	decidedAt: number;
	unhealthyAt: number | null;
}

/** Per history key; what dry-run would have quarantined carries a 'dry-run:' reason. */
export function createMemory() {
	const memory = new Map<string, Memory>();
	return {
		get: (key: string) => memory.get(key),
		/** The key's memory (created empty), with the container's current name. */
		of(key: string, name: string): Memory {
			let m = memory.get(key);
			if (!m) {
				m = {
					killedAt: null,
					stoppedOnPurposeAt: null,
					quarantinedSince: null,
					quarantineReason: null,
					releasedAt: null,
					healthySince: null,
					name
				};
				memory.set(key, m);
			}
			m.name = name;
			return m;
		},
		values: () => memory.values(),
		// Real quarantines only: what dry-run would have quarantined is shown per container, not counted here.
		quarantined: () =>
			[...memory.values()].filter(
				(m) => m.quarantinedSince != null && !m.quarantineReason?.startsWith('dry-run:')
			).length
	};
}

/** How one container is shown: its state and the reason, from the running restart, the quarantine, or the decision. */
export function watchState(
	e: Entry,
	{
		memory,
		flight,
		restartsInWindow
	}: {
		memory: Memory | undefined;
		flight: { since: number; stopTimeoutS: number | null } | undefined;
		restartsInWindow: number;
	}
): ContainerWatch {
	const v = e.view;
	const s = e.summary;
	const m = memory;
	const d = e.decision;
	let state: ContainerWatchState = 'watching';
	let reason = d && 'reason' in d ? d.reason : 'not evaluated yet';
	let until: number | null = null;
	if (flight) {
		state = 'restarting';
		reason = `restart in progress since ${iso(flight.since)}${flight.stopTimeoutS != null ? ` (Docker waits up to ${flight.stopTimeoutS} s for it to stop)` : ''}`;
	} else if (m?.quarantinedSince != null) {
		state = 'quarantined';
		reason = `quarantined since ${iso(m.quarantinedSince)}${m.quarantineReason ? `: ${m.quarantineReason}` : ''}`;
	} else if (d?.kind === 'skip') {
		state =
			d.code === 'off'
				? 'off'
				: d.code === 'opted-out' || d.code === 'not-labelled' || d.code === 'self'
					? 'opted-out'
					: d.code === 'healthy' || d.code === 'starting'
						? 'watching'
						: 'skipped';
	} else if (d?.kind === 'wait') {
		state = d.code === 'cooldown' ? 'cooling-down' : d.code === 'streak' ? 'watching' : 'waiting';
		until = d.until;
	}
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
		restartsInWindow,
		decidedAt: e.decidedAt
	};
}
