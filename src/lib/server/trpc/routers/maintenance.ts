import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { hostOperatorProcedure, hostViewerProcedure, router } from '../init';
import { hostIdSchema, hostInput } from '../host';
import { actorOf } from '../../audit/actions';
import { RunConflictError, ScriptMissingError, type ProgressEvent } from '../../maintenance/runner';

export const maintenanceRouter = router({
	/** Start vm-cleanup.sh (operator). Returns once the script has started; follow `progress`. */
	run: hostOperatorProcedure
		.input(
			z
				.object({
					hostId: hostIdSchema,
					mode: z.enum(['standard', 'weekly', 'full']),
					dryRun: z.boolean()
				})
				.strict()
		)
		.mutation(async ({ ctx, input }) => {
			const hostId = ctx.host.id;
			try {
				return await ctx.services.maintenance.startCleanup({
					mode: input.mode,
					dryRun: input.dryRun,
					intent: { hostId, actor: actorOf(ctx.principal), address: ctx.clientKey }
				});
			} catch (err) {
				if (err instanceof RunConflictError) throw new TRPCError({ code: 'CONFLICT', message: `A cleanup is already running: ${err.message}` });
				if (err instanceof ScriptMissingError) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: err.message });
				throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'could not start the cleanup', cause: err });
			}
		}),

	/**
	 * Progress of the current (or last) dashboard run (SSE): the events so far, then live ones,
	 * ending with `record` and `end`. With `runId`, only that run.
	 */
	progress: hostViewerProcedure.input(hostInput.extend({ runId: z.string().max(100).optional() }).optional()).subscription(async function* ({ ctx, input, signal }) {
		const { runner } = ctx.services.maintenance;
		const queue: ProgressEvent[] = [];
		let wake: (() => void) | null = null;
		const unsubscribe = runner.subscribe((e) => {
			queue.push(e);
			wake?.();
		});
		try {
			const run = runner.active() ?? runner.last();
			if (!run || (input?.runId && run.runId !== input.runId)) return;
			const seen = run.events.length;
			const backlog = run.events.slice();
			queue.splice(0, queue.length); // events emitted before the backlog copy are in it
			for (const e of backlog) yield e;
			if (backlog.at(-1)?.type === 'end' || (run.done && seen === run.events.length)) return;
			const aborted = new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
			while (!signal?.aborted) {
				while (queue.length) {
					const e = queue.shift()!;
					if (e.runId !== run.runId) continue;
					yield e;
					if (e.type === 'end') return;
				}
				await Promise.race([new Promise<void>((resolve) => (wake = resolve)), aborted]);
				wake = null;
			}
		} finally {
			unsubscribe();
		}
	})
});
