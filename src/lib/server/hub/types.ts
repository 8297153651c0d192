// The hub's shapes (issue 15): what one instance says about itself (`hub.summary`, served by
// every vmwarden instance for its own VM) and the all-hosts overview the hub builds from them.
// Decision 0013.
import type { Availability } from '../availability';
import type { Status } from '../../health';
import type { HostKind } from '../hosts/types';

/** One VM at a glance: the overview's row, and what a remote instance answers to `hub.summary`. */
export interface HostSummary {
	hostId: string;
	/** epoch ms the figures are from */
	at: number;
	/** 0–100 and its reasons; null where there is no score (a bare Docker host, or not computed yet) */
	score: { value: number; status: Status; reasons: string[] } | null;
	/** status per dimension: disk, load, memory, swap, steal, containers, cron, … as the host has them */
	dimensions: { name: string; status: Status; detail: string }[];
	/** unhealthy containers (name and since when, when known) */
	unhealthy: { name: string; since: number | null }[];
	/** the fullest filesystem's projection; null when unknown (no trends source) */
	diskProjection: { mount: string; usedPct: number; daysToFull: number | null } | null;
	/** the last cleanup run and what it freed; null when none recorded (or a bare Docker host) */
	lastCleanup: { at: number; freedBytes: number; ok: boolean } | null;
	/** the worst of score and dimensions */
	status: Status;
}

/** One overview row: the host, and its summary or why there is none (with the last good one). */
export type OverviewRow = {
	hostId: string;
	name: string;
	kind: HostKind | 'local';
} & Availability<HostSummary> & {
		/** unavailable rows: epoch ms of the next try (a failing host is retried with backoff); additive, may be absent */
		nextTryAt?: number;
	};
