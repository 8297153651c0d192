import type { PageServerLoad } from './$types';
import { callerFor } from '$lib/server/trpc/caller';

export const load: PageServerLoad = async (event) => {
	const caller = callerFor(event);
	const loadedAt = new Date().toISOString();
	const [preview, status] = await Promise.all([
		caller.alerts.digestPreview().then((p) => ({ ...p, error: null as string | null })).catch((err: unknown) => ({ html: null, text: null, at: null, error: err instanceof Error ? err.message : String(err) })),
		caller.alerts.status()
	]);
	return { preview, status, loadedAt };
};
