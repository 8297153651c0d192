// API tokens (issue 16 part 2): admin only. The secret is in the create answer once, never in
// the audit record or the log.
import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { adminProcedure, router } from '../init';
import { actorOf, recordAction } from '../../audit/actions';

export const tokensRouter = router({
	list: adminProcedure.query(({ ctx }) => ctx.services.auth.listTokens()),

	create: adminProcedure
		.input(
			z
				.object({
					name: z.string().trim().min(1).max(64),
					/** hub: an operate token for a hub, whose x-vmwarden-on-behalf-of is recorded in the audit record */
					scope: z.enum(['read', 'operate', 'hub']),
					/** null = never expires */
					expiresInDays: z.number().int().min(1).max(3650).nullable()
				})
				.strict()
		)
		.mutation(({ ctx, input }) =>
			recordAction(
				ctx.services.db,
				{
					hostId: ctx.services.config.hostId,
					actor: actorOf(ctx.principal),
					address: ctx.clientKey,
					action: 'tokens.create',
					target: input.name,
					input
				},
				() => ctx.services.auth.createToken({ ...input, createdBy: actorOf(ctx.principal) }),
				(t) => `token #${t.id}`
			)
		),

	revoke: adminProcedure
		.input(z.object({ id: z.number().int().positive() }).strict())
		.mutation(async ({ ctx, input }) => {
			const res = await recordAction(
				ctx.services.db,
				{
					hostId: ctx.services.config.hostId,
					actor: actorOf(ctx.principal),
					address: ctx.clientKey,
					action: 'tokens.revoke',
					target: `#${input.id}`
				},
				() => ctx.services.auth.revokeToken(input.id),
				(r) => (r.ok ? 'revoked' : `refused: ${r.error}`)
			);
			if (!res.ok) throw new TRPCError({ code: res.code, message: res.error });
			return res;
		})
});
