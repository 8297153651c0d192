import type { PageServerLoad } from './$types';
import { hostCallerFor } from '$lib/server/host-choice';

export const load: PageServerLoad = async (event) => {
	// Never throws for Ollama being down: each part carries its own Availability.
	const panel = await hostCallerFor(event).ollama.panel();
	return { panel };
};
