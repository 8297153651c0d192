// Client-safe helpers for the /containers page: filtering, searching, sorting, formatting.
// Types come from the server module as types only.
import type { ContainerRow } from '$lib/server/docker/containers';
import type { Availability } from '$lib/server/availability';

export type { ContainerRow };
export type Chip = 'all' | 'unhealthy' | 'noMemoryLimit';
export type SortKey =
	| 'name'
	| 'stack'
	| 'condition'
	| 'uptimeS'
	| 'cpuPct'
	| 'memUsedBytes'
	| 'writeBps'
	| 'restartCount';
export type SortDir = 'asc' | 'desc';

/** Order of conditions when sorting by health: the ones needing attention first. */
const CONDITION_RANK: Record<ContainerRow['condition'], number> = {
	unhealthy: 0,
	dead: 1,
	restarting: 2,
	exited: 3,
	starting: 4,
	paused: 5,
	created: 6,
	removing: 7,
	running: 8,
	healthy: 9
};

export function filterRows(
	rows: readonly ContainerRow[],
	{ chip, stack, search }: { chip: Chip; stack: string | null; search: string }
): ContainerRow[] {
	const q = search.trim().toLowerCase();
	return rows.filter(
		(r) =>
			(chip === 'all' ||
				(chip === 'unhealthy' ? r.condition === 'unhealthy' : !r.hasMemoryLimit)) &&
			(stack === null || r.stack === stack) &&
			(!q ||
				r.name.toLowerCase().includes(q) ||
				(r.stack ?? '').toLowerCase().includes(q) ||
				r.image.toLowerCase().includes(q))
	);
}

/** Stable sort; missing values (null) always last, whatever the direction. */
export function sortRows(
	rows: readonly ContainerRow[],
	key: SortKey,
	dir: SortDir
): ContainerRow[] {
	const sign = dir === 'asc' ? 1 : -1;
	const value = (r: ContainerRow): string | number | null =>
		key === 'condition' ? CONDITION_RANK[r.condition] : key === 'stack' ? r.stack : r[key];
	return rows
		.map((r, i) => ({ r, i, v: value(r) }))
		.sort((a, b) => {
			if (a.v === null || b.v === null) return a.v === b.v ? a.i - b.i : a.v === null ? 1 : -1;
			const c = typeof a.v === 'string' ? a.v.localeCompare(b.v as string) : a.v - (b.v as number);
			return c !== 0 ? sign * c : a.r.name.localeCompare(b.r.name) || a.i - b.i;
		})
		.map((x) => x.r);
}

export function stacksOf(rows: readonly ContainerRow[]): string[] {
	return [...new Set(rows.flatMap((r) => (r.stack ? [r.stack] : [])))].sort();
}

/** "45 s", "12 min", "3 h 5 min", "4 d 2 h" */
export function formatUptime(s: number | null): string {
	if (s === null) return '—';
	if (s < 60) return `${s} s`;
	if (s < 3600) return `${Math.floor(s / 60)} min`;
	if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
	return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** Share of the limit used, 0-100, or null without a limit or a reading. */
export function memPct(r: Pick<ContainerRow, 'memUsedBytes' | 'memLimitBytes'>): number | null {
	if (r.memUsedBytes === null || !r.memLimitBytes) return null;
	return Math.min(100, (r.memUsedBytes / r.memLimitBytes) * 100);
}

/** For the overview and /vm: how many containers are unhealthy (last good count while Docker is down). */
export function summariseUnhealthy(r: Availability<ContainerRow[]>): {
	count: number | null;
	unavailable: { reason: string; lastGoodAt: number | null } | null;
} {
	if (r.state === 'ok') return { count: r.data.length, unavailable: null };
	return {
		count: r.lastGood?.length ?? null,
		unavailable: { reason: r.reason, lastGoodAt: r.lastGoodAt }
	};
}
