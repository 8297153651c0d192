// watchdog: status, its recorded actions, live status (SSE), and the operator's controls
// (release a quarantine, switch the mode, run the self-test). Thin: validate, authorize,
// call the watchdog, map its errors.
import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { live } from '../live';
import { hostOperatorProcedure, hostViewerProcedure, router, type Context } from '../init';
import { expensiveHostViewerProcedure } from '../expensive';
import { actorOf } from '../../audit/actions';
import { hostInput } from '../host';
import { queryActions } from '../../audit/activity';
import { WatchdogError } from '../../watchdog/watchdog';
import { lastSelfTests, runSelfTest, selfTestRunning } from '../../watchdog/selftest';

function mapError(err: unknown): never {
	if (err instanceof WatchdogError) {
		const code =
			err.code === 'NOT_FOUND'
				? 'NOT_FOUND'
				: err.code === 'UNAVAILABLE'
					? 'SERVICE_UNAVAILABLE'
					: 'CONFLICT';
		throw new TRPCError({ code, message: err.message, cause: err });
	}
	throw new TRPCError({
		code: 'INTERNAL_SERVER_ERROR',
		message: err instanceof Error ? err.message : 'watchdog error',
		cause: err
	});
}

async function statusOf(ctx: Pick<Context, 'services'>) {
	const { watchdog, watchdogSelfTests } = ctx.services;
	return {
		...watchdog.status(),
		config: {
			failures: watchdog.config.failures,
			budget: watchdog.config.budget,
			budgetWindowMs: watchdog.config.budgetWindowMs,
			cooldownBaseMs: watchdog.config.cooldownBaseMs,
			cooldownMaxMs: watchdog.config.cooldownMaxMs,
			globalWindowMs: watchdog.config.globalWindowMs,
			maintenanceWindows: watchdog.config.maintenanceWindows.map((w) => w.text),
			selfTestImage: watchdog.config.selfTestImage
		},
		selfTest: {
			running: selfTestRunning(),
			nextAt: watchdogSelfTests.nextAt(),
			last: await lastSelfTests(watchdog, 5)
		},
		at: Date.now()
	};
}

/** A container id (full or ≥ 12 hex) or a Docker container name. */
const containerRef = z
	.string()
	.min(1)
	.max(128)
	.regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'a container id or name');

export const watchdogRouter = router({
	status: hostViewerProcedure.input(hostInput.optional()).query(async ({ ctx }) => {
		return statusOf(ctx);
	}),

	/** The watchdog's own recorded actions (restart, quarantine, release, OOM, mode, self-test), newest first. */
	events: expensiveHostViewerProcedure
		.input(
			hostInput
				.extend({
					limit: z.number().int().min(1).max(200).default(50),
					cursor: z.number().int().positive().optional()
				})
				.strict()
		)
		.query(async ({ ctx, input }) => {
			const hostId = ctx.host.id;
			return queryActions(ctx.services.db, {
				hostId,
				limit: input.limit,
				cursor: input.cursor,
				action: 'watchdog.'
			});
		}),

	/** Status after every change (SSE), at most every 250 ms. */
	live: hostViewerProcedure.input(hostInput.optional()).subscription(async function* ({
		ctx,
		signal
	}) {
		const { watchdog } = ctx.services;
		// a periodic refresh keeps "until" times and ages honest
		yield* live(
			{ subscribe: (onChange) => watchdog.on('change', onChange), current: () => statusOf(ctx) },
			signal,
			{ minIntervalMs: 250, refreshMs: 10_000 }
		);
	}),

	release: hostOperatorProcedure
		.input(hostInput.extend({ id: containerRef }).strict())
		.mutation(async ({ ctx, input }) => {
			try {
				return await ctx.services.watchdog.release(input.id, {
					actor: actorOf(ctx.principal),
					address: ctx.clientKey
				});
			} catch (err) {
				mapError(err);
			}
		}),

	setMode: hostOperatorProcedure
		.input(hostInput.extend({ mode: z.enum(['on', 'off', 'dry-run']) }).strict())
		.mutation(async ({ ctx, input }) => {
			try {
				return await ctx.services.watchdog.setMode(input.mode, {
					actor: actorOf(ctx.principal),
					address: ctx.clientKey
				});
			} catch (err) {
				mapError(err);
			}
		}),

	/** Runs the chaos self-test now (about 5-10 s) and returns its result. */
	selfTest: hostOperatorProcedure.input(hostInput.optional()).mutation(async ({ ctx }) => {
		try {
			return await runSelfTest(ctx.services.watchdog, {
				trigger: 'manual',
				actor: actorOf(ctx.principal),
				address: ctx.clientKey
			});
		} catch (err) {
			mapError(err);
		}
	})
});
