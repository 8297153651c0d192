import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { operatorProcedure, router, viewerProcedure } from '../init';
import { actorOf, recordAction } from '../../audit/actions';
import type { Context } from '../init';
import { buildSnapshot, isFresh, mergeSeries } from '../../health/snapshot';

const RANGES = { '1h': 3_600_000, '6h': 6 * 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 } as const;

// One snapshot per sample, not per request: many clients polling cost one classification.
const memo = new WeakMap<object, { key: string; snapshot: ReturnType<typeof buildSnapshot> }>();

export function snapshotFor(ctx: Pick<Context, 'services'>) {
	const { sampler, config } = ctx.services;
	const stats = sampler.stats();
	const now = Date.now();
	const fresh = isFresh(stats.lastSampleAt, config.sampleIntervalMs, now);
	const key = `${stats.lastSampleAt}|${stats.running}|${fresh ? 0 : Math.round((now - (stats.lastSampleAt ?? now)) / 1000)}|${stats.lastError}`;
	const hit = memo.get(sampler);
	if (hit?.key === key) return hit.snapshot;
	const snapshot = buildSnapshot({ sampler, thresholds: config.thresholds, hostId: config.hostId, intervalMs: config.sampleIntervalMs, now });
	memo.set(sampler, { key, snapshot });
	return snapshot;
}

export const healthRouter = router({
	snapshot: viewerProcedure.query(({ ctx }) => snapshotFor(ctx)),

	history: viewerProcedure
		.input(
			z
				.object({
					range: z.enum(['1h', '6h', '24h', '7d']).optional(),
					fromMs: z.number().int().nonnegative().optional(),
					toMs: z.number().int().nonnegative().optional()
				})
				.refine((i) => i.range !== undefined || i.fromMs !== undefined, 'give a range (1h, 6h, 24h, 7d) or fromMs')
				.refine((i) => i.fromMs === undefined || i.toMs === undefined || i.fromMs < i.toMs, 'fromMs must be before toMs')
		)
		.query(async ({ ctx, input }) => {
			const toMs = input.toMs ?? Date.now();
			const fromMs = input.fromMs ?? toMs - RANGES[input.range ?? '1h'];
			if (toMs - fromMs > ctx.services.config.historyRetentionMs + 86_400_000)
				throw new TRPCError({ code: 'BAD_REQUEST', message: 'range is longer than the stored history' });
			try {
				const stored = await ctx.services.history.range({ fromMs, toMs });
				return { fromMs, toMs, points: mergeSeries(stored, ctx.services.sampler.recent(fromMs).filter((s) => s.ts <= toMs)) };
			} catch (err) {
				throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'could not read the stored history', cause: err });
			}
		}),

	/** Takes a host sample now instead of waiting up to one interval (after a fix, to see its effect). */
	sampleNow: operatorProcedure.input(z.object({}).strict().optional()).mutation(async ({ ctx }) => {
		const { services } = ctx;
		await recordAction(
			services.db,
			{ hostId: services.config.hostId, actor: actorOf(ctx.principal), address: ctx.clientKey, action: 'health.sampleNow' },
			() => services.sampler.sampleOnce(),
			(s) => `sample at ${new Date(s.ts).toISOString()}`
		);
		return snapshotFor(ctx);
	}),

	/** Pushes a fresh snapshot after every sample (SSE). */
	live: viewerProcedure.subscription(async function* ({ ctx, signal }) {
		const { sampler } = ctx.services;
		let wake: (() => void) | null = null;
		let pending = true; // send the current snapshot first
		const unsubscribe = sampler.subscribe(() => {
			pending = true;
			wake?.();
		});
		const aborted = new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
		try {
			while (!signal?.aborted) {
				if (pending) {
					pending = false;
					yield snapshotFor(ctx);
					continue;
				}
				await Promise.race([new Promise<void>((resolve) => (wake = resolve)), aborted]);
				wake = null;
			}
		} finally {
			unsubscribe();
		}
	})
});
