// score router (issue 13): thin — validate, resolve the host, read the score service.
import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { hostViewerProcedure, router } from '../init';
import { expensiveHostViewerProcedure } from '../expensive';
import { hostInput } from '../host';
import { live } from '../live';
import type { ScoreReport } from '$lib/score';

const RANGES = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;

export const scoreRouter = router({
	/** The score now: total, six dimensions (points, input, rule, link), unknowns, top actions. */
	current: hostViewerProcedure.input(hostInput.optional()).query(async ({ ctx }) => {
		try {
			return await ctx.services.score.current();
		} catch (err) {
			throw new TRPCError({
				code: 'INTERNAL_SERVER_ERROR',
				message: 'could not compute the score',
				cause: err
			});
		}
	}),

	/** Stored scores (every 5 minutes), oldest first: the 7-day sparkline. */
	history: expensiveHostViewerProcedure
		.input(
			hostInput
				.extend({ range: z.enum(['24h', '7d', '30d']).default('7d') })
				.strict()
				.optional()
		)
		.query(async ({ ctx, input }) => {
			const toMs = Date.now();
			const fromMs = toMs - RANGES[input?.range ?? '7d'];
			try {
				return { fromMs, toMs, points: await ctx.services.score.history({ fromMs, toMs }) };
			} catch (err) {
				throw new TRPCError({
					code: 'INTERNAL_SERVER_ERROR',
					message: 'could not read the score history',
					cause: err
				});
			}
		}),

	/** Pushes the score whenever it changes (SSE); recomputed every 30 s. */
	live: hostViewerProcedure.input(hostInput.optional()).subscription(async function* ({
		ctx,
		signal
	}) {
		const { score } = ctx.services;
		let first: ScoreReport | null = await score.current().catch(() => null);
		for await (const r of live(
			{ subscribe: (fn) => score.subscribe(fn), current: () => first ?? score.latest() },
			signal
		)) {
			first = null;
			if (r) yield r;
		}
	})
});
