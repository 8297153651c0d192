import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { getServices } from '$lib/server/services';
import { unhealthyContainers } from '$lib/server/docker/containers';

/** The roadmap's Phase 1.3 endpoint: unhealthy containers (since when, last 3 checks, restarts) as JSON. */
export const GET: RequestHandler = () => {
	const s = getServices();
	const result = unhealthyContainers({ adapter: s.docker });
	// Docker down is an answer (with the last good data), not a server error: 503 tells scripts so
	return json(result, {
		status: result.state === 'ok' ? 200 : 503,
		headers: { 'cache-control': 'no-store' }
	});
};
