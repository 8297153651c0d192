import type { PageServerLoad } from './$types';
import { callerFor } from '$lib/server/trpc/caller';

export const load: PageServerLoad = async (event) => ({ snapshot: await callerFor(event).health.snapshot() });
