import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { getServices } from '$lib/server/services';

/** Liveness for Docker's HEALTHCHECK and load balancers: no auth, no figures about the host. */
export const GET: RequestHandler = () => {
	const s = getServices();
	const h = s.health();
	return json(
		{ status: h.ok ? 'ok' : 'degraded', uptimeS: Math.round((Date.now() - s.startedAt) / 1000), services: h.services },
		{ status: h.ok ? 200 : 503, headers: { 'cache-control': 'no-store' } }
	);
};
