// Client-side types and wording for the watchdog's status (types only from the server).
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '$lib/server/trpc/router';

export type WatchdogStatusView = inferRouterOutputs<AppRouter>['watchdog']['status'];
export type ContainerWatchView = WatchdogStatusView['containers'][number];

export const STATE_LABEL: Record<ContainerWatchView['state'], string> = {
	watching: 'watching',
	restarting: 'restarting',
	'cooling-down': 'cooling down',
	waiting: 'waiting',
	quarantined: 'quarantined',
	'opted-out': 'opted out',
	skipped: 'skipped',
	off: 'off'
};

export const MODE_LABEL = { on: 'On', off: 'Off', 'dry-run': 'Dry run' } as const;

/** "cooling down until 10:42:05 UTC" style suffix. */
export function untilText(until: number | null): string {
	if (until === null) return '';
	return ` until ${new Date(until).toISOString().slice(11, 19)} UTC`;
}
