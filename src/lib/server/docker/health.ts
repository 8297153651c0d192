// Health-log arithmetic (pure): when did the current failing streak start?
import type { ContainerInfo, HealthResult } from './model';

export interface FailingStreak {
	/** epoch ms: start of the oldest failing result of the current streak still in the log */
	since: number | null;
	/**
	 * false when the streak is longer than the failing results Docker kept (it keeps 5): the
	 * streak began at or before `since`.
	 */
	exact: boolean;
}

export function failingStreakStart(
	log: readonly HealthResult[],
	failingStreak: number
): FailingStreak {
	let since: number | null = null;
	let counted = 0;
	for (let i = log.length - 1; i >= 0 && log[i].exitCode !== 0; i--) {
		since = log[i].start;
		counted++;
	}
	// exact when a passing result precedes the streak in the log, or the streak is no longer than the log shows
	return { since, exact: since !== null && (counted < log.length || failingStreak <= counted) };
}

/**
 * What the page shows. Only a RUNNING container can be "unhealthy": an exited container keeps
 * its last health status (often unhealthy, streak 0), but it is exited, not failing checks.
 */
export type Condition =
	| 'healthy'
	| 'unhealthy'
	| 'starting'
	| 'running'
	| 'exited'
	| 'paused'
	| 'restarting'
	| 'created'
	| 'dead'
	| 'removing';

export function conditionOf(c: Pick<ContainerInfo, 'state' | 'health'>): Condition {
	if (c.state !== 'running') return c.state;
	return c.health ?? 'running';
}

export const isUnhealthy = (c: Pick<ContainerInfo, 'state' | 'health'>) =>
	conditionOf(c) === 'unhealthy';
