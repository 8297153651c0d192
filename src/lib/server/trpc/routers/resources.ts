// resources router (issue 12): queries only — memory advice, I/O anomalies, image freshness,
// cost per stack, and the compose override as text. Nothing here applies a limit.
import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { router } from '../init';
import { expensiveHostViewerProcedure } from '../expensive';
import { hostInput } from '../host';

// a compose project name: lowercase letters, digits, dash, underscore (docker compose's own rule), or our "(no compose project)"
const stackName = z
	.string()
	.min(1)
	.max(128)
	.regex(
		/^[a-z0-9][a-z0-9_-]*$/,
		'a compose project name is lowercase letters, digits, dash or underscore'
	);

function internal(err: unknown): never {
	throw new TRPCError({
		code: 'INTERNAL_SERVER_ERROR',
		message: err instanceof Error ? err.message : 'resources report failed',
		cause: err
	});
}

export const resourcesRouter = router({
	/** Advice table, I/O report, image freshness and cost per stack (cached 30 s). */
	report: expensiveHostViewerProcedure.input(hostInput.optional()).query(async ({ ctx }) => {
		return ctx.services.resources.report().catch(internal);
	}),
	/** The docker-compose override (mem_limit/mem_reservation), every project or one. */
	override: expensiveHostViewerProcedure
		.input(hostInput.extend({ stack: stackName.optional() }).strict().optional())
		.query(async ({ ctx, input }) => {
			const yaml = await ctx.services.resources
				.overrideYaml({ stack: input?.stack })
				.catch(internal);
			return { yaml };
		}),
	/** I/O anomalies (threshold per day / last 24 h, k× own median), for alerts and scripts. */
	ioAnomalies: expensiveHostViewerProcedure.input(hostInput.optional()).query(async ({ ctx }) => {
		return ctx.services.resources.ioAnomalies().catch(internal);
	})
});
