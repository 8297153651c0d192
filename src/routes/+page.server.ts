import type { PageServerLoad } from './$types';
import { callerFor } from '$lib/server/trpc/caller';
import { lastCleanupFor } from '$lib/server/maintenance/headline';

export const load: PageServerLoad = async (event) => ({ snapshot: await callerFor(event).health.snapshot(), cleanup: await lastCleanupFor(callerFor(event)) });
