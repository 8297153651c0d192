import { redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { safeNext } from './safe-next';

export const load: PageServerLoad = async ({ parent, url }) => {
	const { me } = await parent();
	const next = safeNext(url.searchParams.get('next'));
	if (me.setupNeeded) redirect(303, '/setup');
	if (me.principal) redirect(303, next);
	return { next };
};
