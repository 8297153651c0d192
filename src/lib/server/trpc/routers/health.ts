import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { hostOperatorProcedure, hostViewerProcedure, router } from '../init';
import { expensiveHostViewerProcedure } from '../expensive';
import { actorOf, recordAction } from '../../audit/actions';
import { mergeSeries } from '../../health/snapshot';
import { currentSnapshot } from '../../health/current';
import { live } from '../live';
import { hostIdSchema, hostInput } from '../host';
import { chooseStep } from '../../prometheus/client';
import { plainJson } from '../transformer';

const RANGES = {
	'1h': 3_600_000,
	'6h': 6 * 3_600_000,
	'24h': 86_400_000,
	'7d': 7 * 86_400_000
} as const;
/**
 * Points one history answer carries at most (decision 0020): up to 8 hours stay 1-minute, longer
 * ranges come as means over a coarser step (24 h: 5 min, 7 d: 30 min, from the 15-minute
 * rollups). Narrower fromMs/toMs windows page through the 1-minute points. Ten answers of a
 * batch are serialized in one go: each must stay small.
 */
export const HISTORY_MAX_POINTS = 500;

export const healthRouter = router({
	snapshot: hostViewerProcedure.input(hostInput.optional()).query(({ ctx }) => {
		return currentSnapshot(ctx.services);
	}),

	history: expensiveHostViewerProcedure
		.input(
			z
				.object({
					hostId: hostIdSchema,
					range: z.enum(['1h', '6h', '24h', '7d']).optional(),
					fromMs: z.number().int().nonnegative().optional(),
					toMs: z.number().int().nonnegative().optional()
				})
				.strict()
				.refine(
					(i) => i.range !== undefined || i.fromMs !== undefined,
					'give a range (1h, 6h, 24h, 7d) or fromMs'
				)
				.refine(
					(i) => i.fromMs === undefined || i.toMs === undefined || i.fromMs < i.toMs,
					'fromMs must be before toMs'
				)
		)
		.query(async ({ ctx, input }) => {
			const toMs = input.toMs ?? Date.now();
			const fromMs = input.fromMs ?? toMs - RANGES[input.range ?? '1h'];
			if (toMs - fromMs > ctx.services.config.historyRetentionMs + 86_400_000)
				throw new TRPCError({
					code: 'BAD_REQUEST',
					message: 'range is longer than the stored history'
				});
			const { stepSec } = chooseStep({
				startSec: fromMs / 1000,
				endSec: toMs / 1000,
				maxPoints: HISTORY_MAX_POINTS,
				minStepSec: 60
			});
			try {
				const stored = await ctx.services.history.buckets({ fromMs, toMs, stepMs: stepSec * 1000 });
				const recent = ctx.services.sampler.recent(fromMs).filter((s) => s.ts <= toMs);
				return plainJson({
					fromMs,
					toMs,
					stepSec,
					points: mergeSeries(stored.points, recent, stored.lastRowTs)
				});
			} catch (err) {
				throw new TRPCError({
					code: 'INTERNAL_SERVER_ERROR',
					message: 'could not read the stored history',
					cause: err
				});
			}
		}),

	/** Takes a host sample now instead of waiting up to one interval (after a fix, to see its effect). */
	sampleNow: hostOperatorProcedure
		.input(z.object({}).strict().optional())
		.mutation(async ({ ctx }) => {
			const { services } = ctx;
			await recordAction(
				services.db,
				{
					hostId: services.config.hostId,
					actor: actorOf(ctx.principal),
					address: ctx.clientKey,
					action: 'health.sampleNow'
				},
				() => services.sampler.sampleOnce(),
				(s) => `sample at ${new Date(s.ts).toISOString()}`
			);
			return currentSnapshot(ctx.services);
		}),

	/** Pushes a fresh snapshot after every sample (SSE). */
	live: hostViewerProcedure.input(hostInput.optional()).subscription(({ ctx, signal }) => {
		return live(
			{
				subscribe: (onChange) => ctx.services.sampler.subscribe(onChange),
				current: () => currentSnapshot(ctx.services)
			},
			signal
		);
	})
});
