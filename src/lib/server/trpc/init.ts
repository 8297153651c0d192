import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import type { Services } from '../services';
import { hasRole, type Principal, type Role } from '../auth/auth';
import { actorOf, recordIntent, recordOutcome } from '../audit/actions';
import { createRateLimit } from '../auth/throttle';
import { createLogger } from '../log';

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

/**
 * Procedure meta. `hub: 'local'`: in hub mode this procedure is answered by the hub itself for
 * every hostId (e.g. trends from the shared PromQL store), never forwarded to the host (decision 0013).
 */
export interface Meta {
	hub?: 'local';
}

const t = initTRPC.context<Context>().meta<Meta>().create({
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

const log = createLogger('trpc');

/** State changes per principal (issue 16 part 5): 60 at once, then 1 per second. */
export const MUTATION_BURST = 60;
const mutationLimit = createRateLimit({ burst: MUTATION_BURST, perSecond: 1 });

const requireRole = (min: Role) =>
	t.middleware(async ({ ctx, next, path, type }) => {
		if (!ctx.principal) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Log in or send the API token.' });
		if (!hasRole(ctx.principal, min)) {
			// A refused state change is part of the audit record (outcome 'denied').
			if (type === 'mutation') await recordDenied(ctx, path, `needs the ${min} role`);
			throw new TRPCError({ code: 'FORBIDDEN', message: `This needs the ${min} role.` });
		}
		if (type === 'mutation') {
			const who = ctx.principal.via === 'auth-off' ? `auth-off@${ctx.clientKey}` : actorOf(ctx.principal);
			const taken = mutationLimit.take(who);
			if (!taken.ok) {
				log.warn('mutation refused: rate limit', { actor: who, address: ctx.clientKey, procedure: path });
				throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: `Too many changes; try again in ${Math.ceil(taken.retryAfterMs / 1000)} s.` });
			}
		}
		return next({ ctx: { ...ctx, principal: ctx.principal } });
	});

async function recordDenied(ctx: Context, action: string, why: string) {
	const { db, config } = ctx.services;
	if (!db || !config) return; // a spec's stub services: nothing to write to
	try {
		const id = await recordIntent(db, { hostId: config.hostId, actor: actorOf(ctx.principal), address: ctx.clientKey, action });
		await recordOutcome(db, id, 'denied', why);
	} catch {
		// Never let the audit write turn a FORBIDDEN into a 500.
	}
}

/** No credentials needed (login, setup). */
export const publicProcedure = t.procedure;
/** Read-only: sessions and the read-only API token. */
export const viewerProcedure = t.procedure.use(requireRole('viewer'));
/** State changes: restart, cleanup, load/unload. */
export const operatorProcedure = t.procedure.use(requireRole('operator'));
/** Users, tokens, settings. */
export const adminProcedure = t.procedure.use(requireRole('admin'));
