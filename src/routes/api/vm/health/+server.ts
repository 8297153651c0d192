import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { getServices } from '$lib/server/services';
import { snapshotFor } from '$lib/server/trpc/routers/health';

/** The roadmap's Phase 0.1 check: the health snapshot as plain JSON for curl and scripts. */
export const GET: RequestHandler = () => json(snapshotFor({ services: getServices() }), { headers: { 'cache-control': 'no-store' } });
