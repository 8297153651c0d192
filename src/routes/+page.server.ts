import type { PageServerLoad } from './$types';
import { hostCallerFor } from '$lib/server/host-choice';
import { summariseUnhealthy } from '$lib/containers';
import { lastCleanupFor } from '$lib/server/trpc/last-cleanup';

export const load: PageServerLoad = async (event) => {
	const caller = hostCallerFor(event);
	// the score card (issue 13) stands alone: a failure shows on the card, never takes the page down
	const [score, scoreHistory] = await Promise.all([
		caller.score.current().then(
			(r) => ({ report: r, error: null }),
			(err: unknown) => ({ report: null, error: err instanceof Error ? err.message : String(err) })
		),
		caller.score.history({ range: '7d' }).then(
			(h) => h.points,
			() => []
		)
	]);
	return {
		score: { ...score, history: scoreHistory },
		snapshot: await caller.health.snapshot(),
		unhealthyContainers: summariseUnhealthy(await caller.containers.list({ filter: 'unhealthy' })),
		cleanup: await lastCleanupFor(caller)
	};
};
