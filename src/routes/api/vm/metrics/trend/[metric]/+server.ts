import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { getServices } from '$lib/server/services';
import { withinQueryLimit } from '$lib/server/trpc/expensive';
import { TRPCError } from '@trpc/server';
import { TREND_IDS, TREND_RANGES, type TrendId, type TrendRange } from '$lib/trends';

/**
 * The roadmap's Phase 4.1 endpoints: GET /api/vm/metrics/trend/{disk,memory,steal,load,containers,io}?range=24h|7d|30d
 * (7d by default) -> the trends.series answer as JSON: { state: 'ok'|'partial'|'unavailable', ... }.
 * 503 when the source is unavailable, so a script's `curl -f` notices.
 */
export const GET: RequestHandler = async ({ params, url, locals, request }) => {
	const metric = params.metric;
	const range = url.searchParams.get('range') ?? '7d';
	if (!(TREND_IDS as readonly string[]).includes(metric))
		return json(
			{ error: `unknown trend "${metric.slice(0, 40)}": one of ${TREND_IDS.join(', ')}` },
			{ status: 404 }
		);
	if (!(TREND_RANGES as readonly string[]).includes(range))
		return json({ error: `range must be one of ${TREND_RANGES.join(', ')}` }, { status: 400 });
	const services = getServices();
	let answer;
	try {
		// the caller's share of expensive queries, as trends.series over tRPC (decision 0020)
		answer = await withinQueryLimit(
			{
				principal: locals.principal,
				clientKey: locals.clientAddress,
				running: services.config.queryConcurrency,
				signal: request.signal
			},
			() => services.trends.series({ metric: metric as TrendId, range: range as TrendRange })
		);
	} catch (err) {
		if (err instanceof TRPCError && err.code === 'TOO_MANY_REQUESTS')
			return json({ error: err.message }, { status: 429, headers: { 'retry-after': '1' } });
		throw err;
	}
	return json(answer, {
		status: answer.state === 'unavailable' ? 503 : 200,
		headers: { 'cache-control': 'no-store' }
	});
};
