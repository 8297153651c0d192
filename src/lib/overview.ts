// The all-hosts overview's rows as the page shows them (issue 15, UI): worst first, an
// unavailable host with its last good summary (greyed) and why. Pure: client code imports it.
import type { Status } from './health';
import type { HostSummary, OverviewRow } from './server/hub/types';
import { formatBytes, formatPct } from './format';

export interface OverviewRowView {
	hostId: string;
	name: string;
	kind: OverviewRow['kind'];
	/** false: the host did not answer; `summary` is its last good one (or null) */
	available: boolean;
	summary: HostSummary | null;
	/** why the host is unavailable */
	reason: string | null;
	/** epoch ms of `summary` (the last good one when unavailable) */
	dataAt: number | null;
	/** unavailable: when the hub tries the host again (epoch ms), when it says */
	nextTryAt: number | null;
	/** the row's status dot: UNKNOWN when the host is unavailable */
	status: Status;
	/** sort rank, lower is worse */
	rank: number;
}

/**
 * Worst first, the same order as the hub's own (hub/overview.ts compareRows): a host that does
 * not answer first (nobody can tell how it is, and its last known state is stale), then CRIT,
 * WARN, UNKNOWN, OK.
 */
const RANK: Record<Status | 'unavailable', number> = {
	unavailable: 0,
	CRIT: 1,
	WARN: 2,
	UNKNOWN: 3,
	OK: 4
};

export function rowView(row: OverviewRow): OverviewRowView {
	const base = { hostId: row.hostId, name: row.name, kind: row.kind };
	if (row.state === 'ok') {
		return {
			...base,
			available: true,
			summary: row.data,
			reason: null,
			dataAt: row.data.at ?? row.at,
			nextTryAt: null,
			status: row.data.status,
			rank: RANK[row.data.status]
		};
	}
	return {
		...base,
		available: false,
		summary: row.lastGood,
		reason: row.reason,
		dataAt: row.lastGood?.at ?? row.lastGoodAt,
		nextTryAt: row.nextTryAt ?? null,
		status: 'UNKNOWN',
		rank: RANK.unavailable
	};
}

/** Rank, then the lower score (no score last), then more unhealthy containers, then this hub's own host, then name. */
export function sortOverview(rows: readonly OverviewRow[]): OverviewRowView[] {
	const score = (v: OverviewRowView) => v.summary?.score?.value ?? Number.POSITIVE_INFINITY;
	return rows
		.map(rowView)
		.sort(
			(a, b) =>
				a.rank - b.rank ||
				score(a) - score(b) ||
				(b.summary?.unhealthy.length ?? 0) - (a.summary?.unhealthy.length ?? 0) ||
				(a.kind === 'local' ? -1 : b.kind === 'local' ? 1 : 0) ||
				a.name.localeCompare(b.name) ||
				a.hostId.localeCompare(b.hostId)
		);
}

/** The switcher's dot for each host id (UNKNOWN when unavailable). */
export function statusByHost(rows: readonly OverviewRow[]): Record<string, Status> {
	return Object.fromEntries(rows.map((r) => [r.hostId, rowView(r).status]));
}

export function formatDaysToFull(days: number | null): string {
	if (days === null || !Number.isFinite(days)) return 'not filling';
	if (days < 1) return 'full within a day';
	if (days < 2) return 'full in 1 day';
	return `full in ${Math.floor(days)} days`;
}

export function formatProjection(p: HostSummary['diskProjection']): string {
	if (!p) return 'no projection';
	return `${p.mount} ${formatPct(p.usedPct)} · ${formatDaysToFull(p.daysToFull)}`;
}

export function formatCleanup(c: HostSummary['lastCleanup'], now: number): string {
	if (!c) return 'none recorded';
	const ago = formatAgo(now - c.at);
	return c.ok ? `${ago}, freed ${formatBytes(c.freedBytes)}` : `${ago}, failed`;
}

/** "just now", "5 min ago", "3 h ago", "2 d ago" */
export function formatAgo(ms: number): string {
	if (ms < 60_000) return 'just now';
	if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ago`;
	if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ago`;
	return `${Math.floor(ms / 86_400_000)} d ago`;
}

export const KIND_LABEL: Record<OverviewRow['kind'], string> = {
	local: 'this hub',
	vmwarden: 'vmwarden',
	docker: 'Docker'
};
