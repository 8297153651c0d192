// memory router (issue 25 §2): thin — validate, resolve the host, read the memory trace.
import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { hostViewerProcedure, router } from '../init';
import { hostInput } from '../host';
import { causeLine, leadOf } from '../../memory/attribution';
import { liveContainers, TRACE_LOOKBACK_MS, traceMemoryPressure } from '../../memory/trace';

const MAX_WINDOW_MS = 7 * 86_400_000;

export const memoryRouter = router({
	/**
	 * What grew while memory pressure rose: containers by RSS growth, models loaded, the rest of
	 * the host. Without a window: from the calmest minute of the last 2 hours to the latest sample.
	 */
	trace: hostViewerProcedure
		.input(
			hostInput
				.extend({
					fromMs: z.number().int().nonnegative().optional(),
					toMs: z.number().int().nonnegative().optional()
				})
				.strict()
				.refine(
					(i) => i.fromMs === undefined || i.toMs === undefined || i.fromMs < i.toMs,
					'fromMs must be before toMs'
				)
				.refine(
					(i) => i.fromMs === undefined || (i.toMs ?? Date.now()) - i.fromMs <= MAX_WINDOW_MS,
					'the window is at most 7 days'
				)
				.optional()
		)
		.query(async ({ ctx, input }) => {
			const hostId = ctx.host.id;
			const s = input?.toMs === undefined ? ctx.services.sampler.latest() : null;
			const current = s?.memory.ok
				? {
						at: s.ts,
						memAvailableBytes: s.memory.memAvailableBytes,
						swapUsedBytes: s.memory.swapUsedBytes,
						swapCachedBytes: s.memory.swapCachedBytes
					}
				: undefined;
			const toMs = input?.toMs ?? current?.at ?? Date.now();
			try {
				const trace = await traceMemoryPressure(ctx.services.db, {
					hostId,
					toMs,
					fromMs: input?.fromMs,
					current,
					// the containers' end beside the sampler's: the collector's latest readings
					currentContainers: current
						? liveContainers(ctx.host.containers.containerStats.latest().values())
						: undefined,
					lookbackMs: TRACE_LOOKBACK_MS
				});
				return { trace, lead: trace ? leadOf(trace) : null, line: causeLine(trace) };
			} catch (err) {
				throw new TRPCError({
					code: 'INTERNAL_SERVER_ERROR',
					message: 'could not read the memory history',
					cause: err
				});
			}
		})
});
