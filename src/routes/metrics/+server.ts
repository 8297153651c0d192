import type { RequestHandler } from './$types';
import { getServices } from '$lib/server/services';

export const GET: RequestHandler = async () => {
	const { metrics } = getServices();
	return new Response(await metrics.metrics(), {
		headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' }
	});
};
