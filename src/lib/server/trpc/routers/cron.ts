import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { hostViewerProcedure, router } from '../init';
import { expensiveHostViewerProcedure } from '../expensive';
import { hostInput } from '../host';
import { BadCursorError } from '../../maintenance/run-history';
import { maskJobs } from '../../maintenance/command-mask';
import type { JobStatus } from '../../maintenance/cron-status';

export const cronRouter = router({
	/**
	 * Every crontab job with its schedule, last run, next run and state. Operators see each command
	 * as written; viewers and read tokens with assignments, password flags and URL credentials masked.
	 */
	status: hostViewerProcedure
		.meta({ forViewers: (data) => maskJobs(data as { jobs: JobStatus[] }) })
		.input(hostInput.optional())
		.query(async ({ ctx }) => {
			const hostId = ctx.host.id;
			const { maintenance } = ctx.services;
			const [status, script] = await Promise.all([
				maintenance.status(),
				maintenance.runner.scriptState()
			]);
			const active = maintenance.runner.active();
			return {
				hostId,
				...status,
				script,
				activeRun: active
					? {
							runId: active.runId,
							mode: active.mode,
							dryRun: active.dryRun,
							actor: active.actor,
							startedAt: active.startedAt
						}
					: null
			};
		}),

	/** One job's runs (every run without `job`), newest first, paged with `cursor`. */
	history: expensiveHostViewerProcedure
		.input(
			hostInput.extend({
				job: z
					.string()
					.min(1)
					.max(200)
					.regex(/^[A-Za-z0-9._@:+-]+$/, 'a job name is letters, digits and . _ @ : + -')
					.optional(),
				limit: z.number().int().min(1).max(200).default(50),
				cursor: z.string().max(2000).nullish()
			})
		)
		.query(async ({ ctx, input }) => {
			const hostId = ctx.host.id;
			try {
				return {
					hostId,
					...(await ctx.services.maintenance.history({
						job: input.job,
						limit: input.limit,
						cursor: input.cursor
					}))
				};
			} catch (err) {
				if (err instanceof BadCursorError)
					throw new TRPCError({
						code: 'BAD_REQUEST',
						message: 'invalid cursor: start again without one'
					});
				throw new TRPCError({
					code: 'INTERNAL_SERVER_ERROR',
					message: 'could not read the run history',
					cause: err
				});
			}
		})
});
