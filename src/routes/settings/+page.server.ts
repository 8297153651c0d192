import type { PageServerLoad } from './$types';
import { callerFor } from '$lib/server/trpc/caller';

export const load: PageServerLoad = async (event) => {
	const principal = event.locals.principal;
	const isAdmin = principal?.role === 'admin';
	const caller = callerFor(event);
	return {
		you: principal
			? { role: principal.role, via: principal.via, name: principal.userName ?? null }
			: null,
		users: isAdmin ? await caller.users.list() : null,
		tokens: isAdmin ? await caller.tokens.list() : null
	};
};
