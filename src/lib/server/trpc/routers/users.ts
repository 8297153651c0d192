// User administration (issue 16 part 1): admin only. Thin: validate, call auth, map errors.
import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { adminProcedure, router } from '../init';
import { ROLES, type UserChange } from '../../auth/auth';
import { actorOf, recordAction } from '../../audit/actions';
import type { Context } from '../init';

const role = z.enum(ROLES as [string, ...string[]]).transform((r) => r as (typeof ROLES)[number]);
const password = z.string().min(12, 'Use at least 12 characters.').max(1024);
const id = z.number().int().positive();

/** Runs a user change inside the audit record (the password never enters it). */
async function audited(
	ctx: Context,
	action: string,
	target: string,
	input: unknown,
	run: () => Promise<UserChange>
) {
	const res = await recordAction(
		ctx.services.db,
		{
			hostId: ctx.services.config.hostId,
			actor: actorOf(ctx.principal),
			address: ctx.clientKey,
			action,
			target,
			input
		},
		run,
		(r) => (r.ok ? 'done' : `refused: ${r.error}`)
	);
	if (!res.ok) throw new TRPCError({ code: res.code, message: res.error });
	return res;
}

export const usersRouter = router({
	list: adminProcedure.query(({ ctx }) => ctx.services.auth.listUsers()),

	create: adminProcedure
		.input(z.object({ name: z.string().min(1).max(64), role, password }).strict())
		.mutation(({ ctx, input }) =>
			audited(ctx, 'users.create', input.name, { name: input.name, role: input.role }, () =>
				ctx.services.auth.createUser(input)
			)
		),

	/** Role and/or password; a new password ends that user's sessions. */
	update: adminProcedure
		.input(z.object({ id, role: role.optional(), password: password.optional() }).strict())
		.mutation(({ ctx, input }) =>
			audited(
				ctx,
				'users.update',
				String(input.id),
				{ id: input.id, role: input.role, password: input.password ? 'changed' : undefined },
				() => ctx.services.auth.setUser(input)
			)
		),

	remove: adminProcedure
		.input(z.object({ id }).strict())
		.mutation(({ ctx, input }) =>
			audited(ctx, 'users.remove', String(input.id), { id: input.id }, () =>
				ctx.services.auth.deleteUser(input.id)
			)
		)
});
