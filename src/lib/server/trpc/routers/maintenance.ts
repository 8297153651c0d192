import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { liveEvents } from '../live';
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
				if (err instanceof RunConflictError)
					throw new TRPCError({
						code: 'CONFLICT',
						message: `A cleanup is already running: ${err.message}`
					});
				if (err instanceof ScriptMissingError)
					throw new TRPCError({ code: 'PRECONDITION_FAILED', message: err.message });
				throw new TRPCError({
					code: 'INTERNAL_SERVER_ERROR',
					message: 'could not start the cleanup',
					cause: err
				});
			}
		}),

	/**
	 * Progress of the current (or last) dashboard run (SSE): the events so far, then live ones,
	 * ending with `record` and `end`. With `runId`, only that run.
	 */
	progress: hostViewerProcedure
		.input(hostInput.extend({ runId: z.string().max(100).optional() }).optional())
		.subscription(async function* ({ ctx, input, signal }) {
			const { runner } = ctx.services.maintenance;
			const run = runner.active() ?? runner.last();
			if (!run || (input?.runId && run.runId !== input.runId)) return;
			yield* liveEvents<ProgressEvent>(
				{
					subscribe: (push) => runner.subscribe((e) => e.runId === run.runId && push(e)),
					backlog: () => run.events.slice(),
					isLast: (e) => e.type === 'end' // a run marks itself done only after its 'end'
				},
				signal
			);
		})
});
