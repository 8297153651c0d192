import type { PageServerLoad } from './$types';
import { callerFor } from '$lib/server/trpc/caller';
import { hasRole } from '$lib/server/auth/auth';

export const load: PageServerLoad = async (event) => {
	const list = await callerFor(event).containers.list();
	// watchdog badges (issue 9)
	const watchdog = await callerFor(event).watchdog.status();
	const filter = event.url.searchParams.get('filter');
	return {
		list,
		watchdog,
		canOperate: hasRole(event.locals.principal, 'operator'),
		initialChip: filter === 'unhealthy' || filter === 'noMemoryLimit' ? filter : 'all'
	};
};
