import type { PageServerLoad } from './$types';
import { hostCallerFor } from '$lib/server/host-choice';

export const load: PageServerLoad = async (event) => {
	const caller = hostCallerFor(event);
	// The page says "status unavailable" instead of failing when the files cannot be read.
	return caller.cron
		.status()
		.then((status) => ({
			status,
			error: null as string | null,
			loadedAt: new Date().toISOString()
		}))
		.catch((err: unknown) => ({
			status: null,
			error: err instanceof Error ? err.message : String(err),
			loadedAt: new Date().toISOString()
		}));
};
