import type { PageServerLoad } from './$types';
import { callerFor } from '$lib/server/trpc/caller';
import { summariseUnhealthy } from '$lib/containers';

export const load: PageServerLoad = async (event) => ({
	snapshot: await callerFor(event).health.snapshot(),
	unhealthyContainers: summariseUnhealthy(await callerFor(event).containers.list({ filter: 'unhealthy' }))
});
