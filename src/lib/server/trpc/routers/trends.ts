import { z } from 'zod';
import { router } from '../init';
import { expensiveHubLocalHostViewerProcedure } from '../expensive';
import { plainJson } from '../transformer';
import { hostInput } from '../host';
import { TREND_IDS, TREND_RANGES } from '$lib/trends';

export const trendsRouter = router({
	/**
	 * One catalog entry over 24h/7d/30d, from Prometheus or (no VMW_PROMETHEUS_URL) the local
	 * history. Never throws for Prometheus trouble: the answer is ok | partial | unavailable.
	 * Hub-local (decision 0013): the hub answers every host's trend itself from the shared
	 * PromQL store, filtered by the host label; it is never forwarded to the host.
	 */
	series: expensiveHubLocalHostViewerProcedure
		.input(hostInput.extend({ metric: z.enum(TREND_IDS), range: z.enum(TREND_RANGES) }).strict())
		.query(async ({ ctx, input }) => {
			const hostId = ctx.host.id;
			// numbers, strings and null only: sent without superjson's walk (transformer.ts)
			return plainJson(
				await ctx.services.trends.series({ metric: input.metric, range: input.range, hostId })
			);
		})
});
