import type { PageServerLoad } from './$types';
import { callerFor } from '$lib/server/trpc/caller';
import type { OverviewRow } from '$lib/server/hub/types';

export const load: PageServerLoad = async (event) => {
	// The hub's overview answers from memory (never forwarded): not host-scoped.
	const loadedAt = Date.now();
	try {
		return { rows: await callerFor(event).hub.overview(), error: null as string | null, loadedAt };
	} catch (err) {
		return {
			rows: [] as OverviewRow[],
			error: err instanceof Error ? err.message : String(err),
			loadedAt
		};
	}
};
