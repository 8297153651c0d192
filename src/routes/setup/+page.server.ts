import { redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ parent }) => {
	const { me } = await parent();
	// Setup happens once; afterwards this page only points to the login.
	if (!me.setupNeeded) redirect(303, me.principal ? '/' : '/login');
	return {};
};
