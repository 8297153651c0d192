import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { publicProcedure, router, viewerProcedure } from '../init';
import { FIRST_ADMIN, sessionCookieName } from '../../auth/auth';
import { actorOf, recordEvent } from '../../audit/actions';
import type { Context } from '../init';

function setSessionCookie(ctx: Context, session: { id: string; expiresAt: number } | null) {
	if (!ctx.resHeaders) return;
	const name = sessionCookieName(ctx.services.config.origin);
	const secure = ctx.secure || name !== 'vmw_session';
	const attrs = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])];
	const value = session
		? `${name}=${session.id}; Expires=${new Date(session.expiresAt).toUTCString()}; ${attrs.join('; ')}`
		: `${name}=; Max-Age=0; ${attrs.join('; ')}`;
	ctx.resHeaders.append('Set-Cookie', value);
}

export const authRouter = router({
	me: publicProcedure.query(async ({ ctx }) => ({
		principal: ctx.principal,
		setupNeeded: (await ctx.services.auth.state()) === 'needs-setup'
	})),

	login: publicProcedure
		.input(
			z
				.object({
					name: z.string().min(1).max(64).optional(),
					password: z.string().min(1).max(1024)
				})
				.strict()
		)
		.mutation(async ({ ctx, input }) => {
			const res = await ctx.services.auth.login({
				name: input.name,
				password: input.password,
				clientKey: ctx.clientKey
			});
			await audit(ctx, 'auth.login', input.name ?? FIRST_ADMIN, res);
			if (!res.ok) throw new TRPCError({ code: res.code, message: res.error });
			setSessionCookie(ctx, res.session);
			return { ok: true };
		}),

	setup: publicProcedure
		.input(
			z
				.object({
					token: z.string().min(1).max(200),
					password: z.string().min(12, 'Use at least 12 characters.').max(1024)
				})
				.strict()
		)
		.mutation(async ({ ctx, input }) => {
			const res = await ctx.services.auth.completeSetup({ ...input, clientKey: ctx.clientKey });
			await audit(ctx, 'auth.setup', FIRST_ADMIN, res);
			if (!res.ok) throw new TRPCError({ code: res.code, message: res.error });
			setSessionCookie(ctx, res.session);
			return { ok: true };
		}),

	/** Ends this session. Session-only: the API token has no session to end. */
	logout: viewerProcedure.input(z.object({}).strict().optional()).mutation(async ({ ctx }) => {
		requireSession(ctx);
		await ctx.services.auth.logout(ctx.sessionId);
		await audit(ctx, 'auth.logout', ctx.principal.userName ?? null, { ok: true });
		setSessionCookie(ctx, null);
		return { ok: true };
	}),

	/** Ends every session, this one included. */
	logoutEverywhere: viewerProcedure
		.input(z.object({}).strict().optional())
		.mutation(async ({ ctx }) => {
			await ctx.services.auth.logoutEverywhere(requireSession(ctx));
			await audit(ctx, 'auth.logoutEverywhere', ctx.principal.userName ?? null, { ok: true });
			setSessionCookie(ctx, null);
			return { ok: true };
		}),

	/** Changes the caller's own password; every other session of theirs ends. */
	changePassword: viewerProcedure
		.input(
			z
				.object({
					current: z.string().min(1).max(1024),
					next: z.string().min(12, 'Use at least 12 characters.').max(1024)
				})
				.strict()
		)
		.mutation(async ({ ctx, input }) => {
			const userId = requireSession(ctx);
			const res = await ctx.services.auth.changePassword({
				...input,
				userId,
				clientKey: ctx.clientKey
			});
			await audit(ctx, 'auth.changePassword', ctx.principal.userName ?? null, res);
			if (!res.ok) throw new TRPCError({ code: res.code, message: res.error });
			setSessionCookie(ctx, res.session);
			return { ok: true };
		})
});

/**
 * Login, setup and password events in the audit record. Throttled refusals are only logged
 * (a flood must not turn into a flood of rows); evaluated failures and successes are rows.
 */
async function audit(
	ctx: Context,
	action: string,
	target: string | null,
	res: { ok: true } | { ok: false; code: string; error: string }
) {
	if (!res.ok && res.code === 'TOO_MANY_REQUESTS') return;
	const { db, config } = ctx.services;
	await recordEvent(
		db,
		{
			hostId: config.hostId,
			actor: actorOf(ctx.principal),
			address: ctx.clientKey,
			action,
			target
		},
		res.ok ? 'ok' : 'error',
		res.ok ? 'done' : res.error
	);
}

/** The session's user id; FORBIDDEN for the API token or auth-off. */
function requireSession(ctx: Context): number {
	if (ctx.principal?.via !== 'session' || ctx.principal.userId === undefined)
		throw new TRPCError({
			code: 'FORBIDDEN',
			message: 'Only a logged-in session can do this (not the API token).'
		});
	return ctx.principal.userId;
}
