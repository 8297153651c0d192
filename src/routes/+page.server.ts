import type { PageServerLoad } from './$types';
import { callerFor } from '$lib/server/trpc/caller';
import { summariseUnhealthy } from '$lib/containers';
import { lastCleanupFor } from '$lib/server/maintenance/headline';

export const load: PageServerLoad = async (event) => {
	const caller = callerFor(event);
	return {
		snapshot: await caller.health.snapshot(),
		unhealthyContainers: summariseUnhealthy(await caller.containers.list({ filter: 'unhealthy' })),
		cleanup: await lastCleanupFor(caller)
	};
};
