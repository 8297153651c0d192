import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { getServices } from '$lib/server/services';

/**
 * The roadmap's `GET /api/vm/ollama/models`: the models on disk with last use, as the
 * Availability shape (`state: 'ok'` + `data`, or `state: 'unavailable'` + `reason` and the last
 * good list). 503 when Ollama cannot be reached, so `curl -f` fails.
 */
export const GET: RequestHandler = async () => {
	const models = await getServices().ollama.panel.models();
	return json(models, {
		status: models.state === 'ok' ? 200 : 503,
		headers: { 'cache-control': 'no-store' }
	});
};
