import type { PageServerLoad } from './$types';
import { hostCallerFor } from '$lib/server/host-choice';
import { hasRole } from '$lib/server/auth/auth';

export const load: PageServerLoad = async (event) => {
	const list = await hostCallerFor(event).containers.list();
	// watchdog badges (issue 9)
	const watchdog = await hostCallerFor(event).watchdog.status();
	const filter = event.url.searchParams.get('filter');
	return {
		list,
		watchdog,
		canOperate: hasRole(event.locals.principal, 'operator'),
		initialChip: filter === 'unhealthy' || filter === 'noMemoryLimit' ? filter : 'all'
	};
};
