import type { PageServerLoad } from './$types';
import { callerFor } from '$lib/server/trpc/caller';

export const load: PageServerLoad = async (event) => {
	// the report never takes the page down: a failure is shown as such
	try {
		return { report: await callerFor(event).resources.report(), error: null };
	} catch (err) {
		return { report: null, error: err instanceof Error ? err.message : String(err) };
	}
};
