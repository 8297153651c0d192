import type { PageServerLoad } from './$types';
import { hostCallerFor } from '$lib/server/host-choice';

export const load: PageServerLoad = async (event) => {
	// the report never takes the page down: a failure is shown as such
	try {
		return { report: await hostCallerFor(event).resources.report(), error: null };
	} catch (err) {
		return { report: null, error: err instanceof Error ? err.message : String(err) };
	}
};
