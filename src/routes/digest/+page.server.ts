import type { PageServerLoad } from './$types';
import { hostCallerFor } from '$lib/server/host-choice';

export const load: PageServerLoad = async (event) => {
	const caller = hostCallerFor(event);
	const loadedAt = new Date().toISOString();
	const [preview, status] = await Promise.all([
		caller.alerts
			.digestPreview()
			.then((p) => ({ ...p, error: null as string | null }))
			.catch((err: unknown) => ({
				html: null,
				text: null,
				at: null,
				error: err instanceof Error ? err.message : String(err)
			})),
		caller.alerts.status()
	]);
	return { preview, status, loadedAt };
};
