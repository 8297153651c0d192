import type { RequestHandler } from './$types';
import { getServices } from '$lib/server/services';
import { currentSnapshotJson } from '$lib/server/health/current';

/** The roadmap's Phase 0.1 check: the health snapshot as plain JSON for curl and scripts (serialised once per sample). */
export const GET: RequestHandler = () =>
	new Response(currentSnapshotJson(getServices()), {
		headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }
	});
