import type { LayoutServerLoad } from './$types';
import { callerFor } from '$lib/server/trpc/caller';
import { getServices } from '$lib/server/services';
import { pageHostFor } from '$lib/server/host-choice';

export const load: LayoutServerLoad = async (event) => {
	const me = await callerFor(event).auth.me();
	// the host this page shows (issue 15): ?host=, else the remembered one, else this VM
	const { choice, hosts } = await pageHostFor(event);
	return {
		me,
		// Only shown to someone logged in.
		hostId: me.principal ? getServices().config.hostId : null,
		host: choice,
		hosts
	};
};
