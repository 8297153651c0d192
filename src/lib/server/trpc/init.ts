import { initTRPC, TRPCError } from '@trpc/server';
// no public tRPC 11 API lets a middleware answer without calling next() (trpc/trpc#4066): the marker it needs is internal
import { middlewareMarker } from '@trpc/server/unstable-core-do-not-import';
import { transformer } from './transformer';
import type { Services } from '../services';
import { hasRole, type Principal, type Role } from '../auth/auth';
import { actorOf, trackAuditWrites } from '../audit/actions';
import { refusalRecorder } from '../audit/refusals';
import { createRateLimit } from '../auth/throttle';
import { createLogger } from '../log';
import { scrubUrls } from '../net/url-secrets';

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
	// a message can quote a URL (a fetch error): its credentials, path and query never leave
	return { ...shape, message: unexpected ? 'Internal error; see the server log.' : scrubUrls(shape.message), data };
}

/**
 * Procedure meta. `hub: 'local'`: in hub mode this procedure is answered by the hub itself for
 * every hostId (e.g. trends from the shared PromQL store), never forwarded to the host (decision 0013).
 */
export interface Meta {
	hub?: 'local';
	/**
	 * How a caller below the operator role sees this answer (secrets masked). Applied to the
	 * procedure's own answer and to a forwarded host's answer alike: a hub holds an operate token,
	 * so the host itself would show a hub viewer the operator's view.
	 */
	forViewers?: (data: unknown) => unknown;
}

const t = initTRPC.context<Context>().meta<Meta>().create({
	transformer,
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
		// The limit comes before the role check: a refused change costs what an accepted one does,
		// so a read token cannot send refusals (and their audit rows) without bound (issue 21 item 2).
		if (type === 'mutation') {
			const who = ctx.principal.via === 'auth-off' ? `auth-off@${ctx.clientKey}` : actorOf(ctx.principal);
			const taken = mutationLimit.take(who);
			if (!taken.ok) {
				log.warn('mutation refused: rate limit', { actor: who, address: ctx.clientKey, procedure: path });
				throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: `Too many changes; try again in ${Math.ceil(taken.retryAfterMs / 1000)} s.` });
			}
		}
		if (!hasRole(ctx.principal, min)) throw new TRPCError({ code: 'FORBIDDEN', message: `This needs the ${min} role.` });
		return next({ ctx: { ...ctx, principal: ctx.principal } });
	});

/** Refusals by who asked (outcome 'denied'); any other failure before a row was written is 'error'. */
const DENIED_CODES = new Set(['UNAUTHORIZED', 'FORBIDDEN', 'TOO_MANY_REQUESTS']);

/**
 * Every state change leaves a row (issue 21 item 10): a mutation that failed without writing
 * its own row — no credentials, the wrong role, the rate limit, invalid input, an unknown
 * target, a dependency down — is recorded here, repeats coalesced into one row with a count
 * (audit/refusals.ts). Queries are not recorded.
 */
const auditRefusals = t.middleware(async ({ ctx, path, type, next }) => {
	if (type !== 'mutation') return next();
	const { value: result, wrote } = await trackAuditWrites(() => next());
	const { db, config } = ctx.services ?? {};
	if (result.ok || wrote || !db || !config) return result; // a spec's stub services: nothing to write to
	const err = result.error;
	const reason = err.code === 'INTERNAL_SERVER_ERROR' ? 'internal error' : `${err.code}: ${err.message}`;
	await refusalRecorder(db)
		.record({ hostId: config.hostId, actor: actorOf(ctx.principal), address: ctx.clientKey, action: path }, DENIED_CODES.has(err.code) ? 'denied' : 'error', reason)
		.catch(() => {}); // never let the audit write turn a refusal into a 500
	return result;
});

/**
 * Hub mode (issue 15, decision 0013): a call whose raw input names a registry host goes to that
 * host (same path and type, input without hostId) and its answer is this call's answer; the
 * procedure does not run here. Not for `meta: { hub: 'local' }` procedures (the hub answers
 * those itself for every host: the registry host is looked up so resolveHostId accepts it).
 * Runs after the role check: the hub user must hold the role here first.
 */
const forwardToHost = t.middleware(async ({ ctx, meta, path, type, signal, getRawInput, next }) => {
	const hub = ctx.services?.hub;
	if (!hub) return next(); // a spec's stub services
	const raw = await getRawInput();
	const hostId = raw !== null && typeof raw === 'object' ? (raw as { hostId?: unknown }).hostId : undefined;
	if (typeof hostId !== 'string' || hostId === ctx.services.config.hostId) return next();
	if (meta?.hub === 'local') {
		await hub.host(hostId).catch(() => null);
		return next();
	}
	const answer = await hub.forward({ ctx, path, type, signal, hostId, raw: raw as Record<string, unknown> });
	if (!answer) return next(); // not a registry host: resolveHostId answers NOT_FOUND
	return { ok: true as const, data: answer.data, marker: middlewareMarker };
});

/** Applies meta.forViewers to the answer of a caller below the operator role. */
const viewerView = t.middleware(async ({ ctx, meta, next }) => {
	const result = await next();
	if (!result.ok || !meta?.forViewers || hasRole(ctx.principal, 'operator')) return result;
	return { ...result, data: meta.forViewers(result.data) };
});

/** Every procedure: a failed mutation leaves an audit row. */
const audited = t.procedure.use(auditRefusals);
/** No credentials needed (login, setup). */
export const publicProcedure = audited;
/** Read-only: sessions and the read-only API token. Forwarded to a registry host named by hostId. */
export const viewerProcedure = audited.use(requireRole('viewer')).use(viewerView).use(forwardToHost);
/** State changes: restart, cleanup, load/unload. Forwarded (and audited here) like viewer calls. */
export const operatorProcedure = audited.use(requireRole('operator')).use(forwardToHost);
/** Users, tokens, settings. */
export const adminProcedure = audited.use(requireRole('admin'));
