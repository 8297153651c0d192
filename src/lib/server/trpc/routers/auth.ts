import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { publicProcedure, router, viewerProcedure } from '../init';
import { SESSION_COOKIE } from '../../auth/auth';
import type { Context } from '../init';

function setSessionCookie(ctx: Context, session: { id: string; expiresAt: number } | null) {
	if (!ctx.resHeaders) return;
	const attrs = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(ctx.secure ? ['Secure'] : [])];
	const value = session
		? `${SESSION_COOKIE}=${session.id}; Expires=${new Date(session.expiresAt).toUTCString()}; ${attrs.join('; ')}`
		: `${SESSION_COOKIE}=; Max-Age=0; ${attrs.join('; ')}`;
	ctx.resHeaders.append('Set-Cookie', value);
}

export const authRouter = router({
	me: publicProcedure.query(async ({ ctx }) => ({
		principal: ctx.principal,
		setupNeeded: (await ctx.services.auth.state()) === 'needs-setup'
	})),

	login: publicProcedure.input(z.object({ password: z.string().min(1).max(1024) }).strict()).mutation(async ({ ctx, input }) => {
		const res = await ctx.services.auth.login({ password: input.password, clientKey: ctx.clientKey });
		if (!res.ok) throw new TRPCError({ code: res.code, message: res.error });
		setSessionCookie(ctx, res.session);
		return { ok: true };
	}),

	setup: publicProcedure
		.input(z.object({ token: z.string().min(1).max(200), password: z.string().min(12, 'Use at least 12 characters.').max(1024) }).strict())
		.mutation(async ({ ctx, input }) => {
			const res = await ctx.services.auth.completeSetup({ ...input, clientKey: ctx.clientKey });
			if (!res.ok) throw new TRPCError({ code: res.code, message: res.error });
			setSessionCookie(ctx, res.session);
			return { ok: true };
		}),

	/** Ends this session. Session-only: the API token has no session to end. */
	logout: viewerProcedure.input(z.object({}).strict().optional()).mutation(async ({ ctx }) => {
		requireSession(ctx);
		await ctx.services.auth.logout(ctx.sessionId);
		setSessionCookie(ctx, null);
		return { ok: true };
	}),

	/** Ends every session, this one included. */
	logoutEverywhere: viewerProcedure.input(z.object({}).strict().optional()).mutation(async ({ ctx }) => {
		requireSession(ctx);
		await ctx.services.auth.logoutEverywhere();
		setSessionCookie(ctx, null);
		return { ok: true };
	}),

	/** Changes the admin password set through /setup; every other session ends. */
	changePassword: viewerProcedure
		.input(z.object({ current: z.string().min(1).max(1024), next: z.string().min(12, 'Use at least 12 characters.').max(1024) }).strict())
		.mutation(async ({ ctx, input }) => {
			requireSession(ctx);
			if (ctx.principal.role !== 'admin') throw new TRPCError({ code: 'FORBIDDEN', message: 'This needs the admin role.' });
			const res = await ctx.services.auth.changePassword({ ...input, clientKey: ctx.clientKey });
			if (!res.ok) throw new TRPCError({ code: res.code, message: res.error });
			setSessionCookie(ctx, res.session);
			return { ok: true };
		})
});

function requireSession(ctx: Context) {
	if (ctx.principal?.via !== 'session') throw new TRPCError({ code: 'FORBIDDEN', message: 'Only a logged-in session can do this (not the API token).' });
}
