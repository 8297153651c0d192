import type { RequestHandler } from './$types';
import { getServices } from '$lib/server/services';
import { healthzAnswer } from '$lib/server/fast-lane';

/** Liveness for Docker's HEALTHCHECK and load balancers: no auth, no figures about the host. (server.js answers it on the fast lane; this route serves HEAD and auth-off.) */
export const GET: RequestHandler = () => {
	const { status, body } = healthzAnswer(getServices());
	return new Response(body, {
		status,
		headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }
	});
};
