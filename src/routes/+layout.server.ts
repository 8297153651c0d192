import { redirect } from '@sveltejs/kit';
import type { LayoutServerLoad } from './$types';
import { callerFor } from '$lib/server/trpc/caller';
import { getServices } from '$lib/server/services';
import { pageHostFor } from '$lib/server/host-choice';
import { dashboardPath, dockerHostHas, hostHref } from '$lib/host-context';

export const load: LayoutServerLoad = async (event) => {
	const me = await callerFor(event).auth.me();
	// the host this page shows (issue 15): ?host=, else the remembered one, else this VM
	const { choice, hosts } = await pageHostFor(event);
	// opening the app on a remembered bare Docker host: its dashboard is its containers (a link
	// that names the host explicitly gets the page, which says what such a host lacks)
	const kind = hosts.find((h) => h.hostId === choice.hostId)?.kind;
	if (choice.source === 'remembered' && kind === 'docker' && !dockerHostHas(event.url.pathname))
		redirect(303, hostHref(dashboardPath(kind), choice));
	return {
		me,
		// Only shown to someone logged in.
		hostId: me.principal ? getServices().config.hostId : null,
		host: choice,
		hosts
	};
};
