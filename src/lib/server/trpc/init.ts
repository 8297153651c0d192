import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import type { Services } from '../services';
import { hasRole, type Principal, type Role } from '../auth/auth';

export interface Context {
	services: Services;
	principal: Principal | null;
	/** The session cookie's value, when the request carried one. */
	sessionId: string | undefined;
	/** Headers of the HTTP response (Set-Cookie for login); absent when called through createCaller. */
	resHeaders: Headers | null;
	/** Client address, for login throttling. */
	clientKey: string;
	/** true when the request came over https (Secure cookies). */
	secure: boolean;
}

/**
 * What a client may see of an error: no stack (also under `vite dev`: this module is part of the
 * typed client's build, which cannot import `$app/*`; the server log has the full error),
 * and an unexpected error (not a TRPCError we threw) is only "internal error" — its message
 * can carry SQL, parameters or paths. The full error goes to the server log (onError).
 */
export function clientErrorShape<S extends { message: string; data: { stack?: string } }>(shape: S, error: TRPCError, isDev = false): S {
	if (isDev) return shape;
	const { stack: _stack, ...data } = shape.data;
	const unexpected = error.code === 'INTERNAL_SERVER_ERROR' && error.cause instanceof Error && !(error.cause instanceof TRPCError) && error.message === error.cause.message;
	return { ...shape, message: unexpected ? 'Internal error; see the server log.' : shape.message, data };
}

const t = initTRPC.context<Context>().create({
	transformer: superjson,
	isDev: false,
	errorFormatter: ({ shape, error }) => clientErrorShape(shape, error),
	sse: {
		ping: { enabled: true, intervalMs: 15_000 },
		client: { reconnectAfterInactivityMs: 30_000 }
	}
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

const requireRole = (min: Role) =>
	t.middleware(({ ctx, next }) => {
		if (!ctx.principal) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Log in or send the API token.' });
		if (!hasRole(ctx.principal, min)) throw new TRPCError({ code: 'FORBIDDEN', message: `This needs the ${min} role.` });
		return next({ ctx: { ...ctx, principal: ctx.principal } });
	});

/** No credentials needed (login, setup). */
export const publicProcedure = t.procedure;
/** Read-only: sessions and the read-only API token. */
export const viewerProcedure = t.procedure.use(requireRole('viewer'));
/** State changes: restart, cleanup, load/unload. */
export const operatorProcedure = t.procedure.use(requireRole('operator'));
