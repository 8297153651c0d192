import type { PageServerLoad } from './$types';
import { hostCallerFor } from '$lib/server/host-choice';
import { summariseUnhealthy } from '$lib/containers';
import { lastCleanupFor } from '$lib/server/trpc/last-cleanup';

export const load: PageServerLoad = async (event) => {
	const caller = hostCallerFor(event);
	const snapshot = await caller.health.snapshot();
	// History is a nicety for the sparklines: the cards still render when it cannot be read.
	const history = await caller.health
		.history({ range: '1h' })
		.then((h) => ({ points: h.points, error: null as string | null }))
		.catch((err: unknown) => ({
			points: [],
			error: err instanceof Error ? err.message : String(err)
		}));
	// what grew while memory pressure rose (issue 25): the memory and swap cards' drill-down
	const memory = await caller.memory
		.trace()
		.then((r) => ({ trace: r.trace, line: r.line, unavailable: null as string | null }))
		.catch((err: unknown) => ({
			trace: null,
			line: null,
			unavailable: err instanceof Error ? err.message : String(err)
		}));
	const unhealthyContainers = summariseUnhealthy(
		await caller.containers.list({ filter: 'unhealthy' })
	);
	return { snapshot, history, memory, unhealthyContainers, cleanup: await lastCleanupFor(caller) };
};
