import type { LayoutServerLoad } from './$types';
import { callerFor } from '$lib/server/trpc/caller';
import { getServices } from '$lib/server/services';

export const load: LayoutServerLoad = async (event) => {
	const me = await callerFor(event).auth.me();
	return {
		me,
		// Only shown to someone logged in.
		hostId: me.principal ? getServices().config.hostId : null
	};
};
