// The Ollama panel (issue 11): models on disk, what is loaded and what it costs, the RAM
// picture, the impact of a load before it happens, load/unload (operator, audited), GPU line.
import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { hostOperatorProcedure, hostViewerProcedure, router, type Context } from '../init';
import { hostInput } from '../host';
import { actorOf } from '../../audit/actions';
import { keepAliveSchema, modelNameSchema, OllamaPanelError } from '../../ollama/panel';

const modelInput = hostInput.extend({ model: modelNameSchema });

function toTRPCError(err: unknown): never {
	if (err instanceof OllamaPanelError) {
		const code = (
			{
				'not-found': 'NOT_FOUND',
				refused: 'PRECONDITION_FAILED',
				unavailable: 'BAD_GATEWAY',
				timeout: 'GATEWAY_TIMEOUT'
			} as const
		)[err.kind];
		throw new TRPCError({ code, message: err.message, cause: err });
	}
	throw new TRPCError({
		code: 'INTERNAL_SERVER_ERROR',
		message: 'Ollama request failed',
		cause: err
	});
}

const intentOf = (
	ctx: Context & { principal: NonNullable<Context['principal']> },
	hostId: string
) => ({ hostId, actor: actorOf(ctx.principal), address: ctx.clientKey });

export const ollamaRouter = router({
	/** Models on disk with last use (Availability). */
	models: hostViewerProcedure.input(hostInput.optional()).query(({ ctx }) => {
		return ctx.services.ollama.panel.models();
	}),

	/** Loaded models: memory, VRAM share, context, expiry, runner CPU % (Availability). */
	loaded: hostViewerProcedure.input(hostInput.optional()).query(({ ctx }) => {
		return ctx.services.ollama.panel.loaded();
	}),

	/** RAM picture: [system] [loaded models] [free]; null picture when MemAvailable is unknown. */
	memory: hostViewerProcedure.input(hostInput.optional()).query(({ ctx }) => {
		return ctx.services.ollama.panel.memory();
	}),

	/** GPU readiness line. */
	gpu: hostViewerProcedure.input(hostInput.optional()).query(async ({ ctx }) => {
		const ps = await ctx.services.ollama.source.loaded();
		return ctx.services.ollama.panel.gpu(ps.state === 'ok' ? ps.data : null);
	}),

	/** Everything the /models page shows in one round trip. */
	panel: hostViewerProcedure.input(hostInput.optional()).query(({ ctx }) => {
		return ctx.services.ollama.panel.panel();
	}),

	/** What loading `model` would do to RAM: ok | warn | crit | unknown and the sentence. */
	impact: hostViewerProcedure.input(modelInput).query(async ({ ctx, input }) => {
		return ctx.services.ollama.panel.impact(input.model).catch(toTRPCError);
	}),

	/** Load into memory (operator). A crit impact is refused unless `force`. */
	load: hostOperatorProcedure
		.input(
			modelInput.extend({
				keepAlive: keepAliveSchema.default('10m'),
				force: z.boolean().default(false)
			})
		)
		.mutation(async ({ ctx, input }) => {
			const hostId = ctx.host.id;
			return ctx.services.ollama.panel
				.load({
					model: input.model,
					keepAlive: input.keepAlive,
					force: input.force,
					intent: intentOf(ctx, hostId)
				})
				.catch(toTRPCError);
		}),

	/** Unload from memory (operator): keep_alive 0. */
	unload: hostOperatorProcedure.input(modelInput).mutation(async ({ ctx, input }) => {
		const hostId = ctx.host.id;
		return ctx.services.ollama.panel
			.unload({ model: input.model, intent: intentOf(ctx, hostId) })
			.catch(toTRPCError);
	})
});
