import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { callerFor } from '$lib/server/trpc/caller';

/** score.current as plain JSON for curl and scripts: total, dimensions, unknowns, top actions. */
export const GET: RequestHandler = async (event) =>
	json(await callerFor(event).score.current(), { headers: { 'cache-control': 'no-store' } });
