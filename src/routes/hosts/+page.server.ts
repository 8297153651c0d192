import type { PageServerLoad } from './$types';
import { callerFor } from '$lib/server/trpc/caller';

// Admins only: the list carries no credential (HostView has has* flags), others see a message.
export const load: PageServerLoad = async (event) => {
	const isAdmin = event.locals.principal?.role === 'admin';
	return { registry: isAdmin ? await callerFor(event).hosts.list() : null };
};
