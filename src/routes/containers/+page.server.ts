import type { PageServerLoad } from './$types';
import { hostCallerFor } from '$lib/server/host-choice';
import { hasRole } from '$lib/server/auth/auth';

export const load: PageServerLoad = async (event) => {
	const list = await hostCallerFor(event).containers.list();
	// watchdog badges (issue 9)
	// null where there is no watchdog (a bare Docker host) or it cannot be read: the badges are left out
	const watchdog = await hostCallerFor(event)
		.watchdog.status()
		.catch(() => null);
	const filter = event.url.searchParams.get('filter');
	return {
		list,
		watchdog,
		canOperate: hasRole(event.locals.principal, 'operator'),
		initialChip: filter === 'unhealthy' || filter === 'noMemoryLimit' ? filter : 'all'
	};
};
