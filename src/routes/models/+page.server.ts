import type { PageServerLoad } from './$types';
import { callerFor } from '$lib/server/trpc/caller';

export const load: PageServerLoad = async (event) => {
	// Never throws for Ollama being down: each part carries its own Availability.
	const panel = await callerFor(event).ollama.panel();
	return { panel };
};
