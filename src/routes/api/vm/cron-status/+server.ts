import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { callerFor } from '$lib/server/trpc/caller';

/** The roadmap's Phase 1.1 endpoint: cron.status as plain JSON for curl and scripts. */
export const GET: RequestHandler = async (event) =>
	json(await callerFor(event).cron.status(), { headers: { 'cache-control': 'no-store' } });
