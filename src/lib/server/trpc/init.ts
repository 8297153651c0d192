import { initTRPC, TRPCError } from '@trpc/server';
// no public tRPC 11 API lets a middleware answer without calling next() (trpc/trpc#4066): the marker it needs is internal
import { middlewareMarker } from '@trpc/server/unstable-core-do-not-import';
import { transformer } from './transformer';
import type { Services } from '../services';
import { hasRole, type Principal, type Role } from '../auth/auth';
import { actorOf, auditHostIs, trackAuditWrites } from '../audit/actions';
import { refusalRecorder } from '../audit/refusals';
import { createRateLimit } from '../auth/throttle';
import { createLogger } from '../log';
import { scrubUrls } from '../net/url-secrets';
import type { HostRef, RunHost } from '../hub/host-handle';
import { localHost, resolveHost } from './host';

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
export function clientErrorShape<S extends { message: string; data: { stack?: string } }>(
	shape: S,
	error: TRPCError,
	isDev = false
): S {
	if (isDev) return shape;
	const { stack: _stack, ...data } = shape.data;
	const unexpected =
		error.code === 'INTERNAL_SERVER_ERROR' &&
		error.cause instanceof Error &&
		!(error.cause instanceof TRPCError) &&
		error.message === error.cause.message;
	// a message can quote a URL (a fetch error): its credentials, path and query never leave
	return {
		...shape,
		message: unexpected ? 'Internal error; see the server log.' : scrubUrls(shape.message),
		data
	};
}

/** Procedure meta. */
export interface Meta {
	/**
	 * A per-host procedure (hostViewerProcedure, hostOperatorProcedure) that a bare Docker host
	 * answers too: it runs here against that host's Docker (`ctx.host.containers`). Without it,
	 * a bare Docker host's call is PRECONDITION_FAILED.
	 */
	dockerHost?: true;
	/**
	 * How a caller below the operator role sees this answer (secrets masked). Applied to the
	 * procedure's own answer and to a forwarded host's answer alike: a hub holds an operate token,
	 * so the host itself would show a hub viewer the operator's view.
	 */
	forViewers?: (data: unknown) => unknown;
}

const t = initTRPC
	.context<Context>()
	.meta<Meta>()
	.create({
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
export const middleware = t.middleware;

const log = createLogger('trpc');

/** State changes per principal (issue 16 part 5): 60 at once, then 1 per second. */
export const MUTATION_BURST = 60;
const mutationLimit = createRateLimit({ burst: MUTATION_BURST, perSecond: 1 });

const requireRole = (min: Role) =>
	t.middleware(async ({ ctx, next, path, type }) => {
		if (!ctx.principal)
			throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Log in or send the API token.' });
		// The limit comes before the role check: a refused change costs what an accepted one does,
		// so a read token cannot send refusals (and their audit rows) without bound (issue 21 item 2).
		if (type === 'mutation') {
			const who =
				ctx.principal.via === 'auth-off' ? `auth-off@${ctx.clientKey}` : actorOf(ctx.principal);
			const taken = mutationLimit.take(who);
			if (!taken.ok) {
				log.warn('mutation refused: rate limit', {
					actor: who,
					address: ctx.clientKey,
					procedure: path
				});
				throw new TRPCError({
					code: 'TOO_MANY_REQUESTS',
					message: `Too many changes; try again in ${Math.ceil(taken.retryAfterMs / 1000)} s.`
				});
			}
		}
		if (!hasRole(ctx.principal, min))
			throw new TRPCError({ code: 'FORBIDDEN', message: `This needs the ${min} role.` });
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
	const { value: result, wrote, hostId } = await trackAuditWrites(() => next());
	const { db, config } = ctx.services ?? {};
	if (result.ok || wrote || !db || !config) return result; // a spec's stub services: nothing to write to
	const err = result.error;
	const reason =
		err.code === 'INTERNAL_SERVER_ERROR' ? 'internal error' : `${err.code}: ${err.message}`;
	await refusalRecorder(db)
		.record(
			{
				hostId: hostId ?? config.hostId,
				actor: actorOf(ctx.principal),
				address: ctx.clientKey,
				action: path
			},
			DENIED_CODES.has(err.code) ? 'denied' : 'error',
			reason
		)
		.catch(() => {}); // never let the audit write turn a refusal into a 500
	return result;
});

const hostIdOf = (raw: unknown): unknown =>
	raw !== null && typeof raw === 'object' ? (raw as { hostId?: unknown }).hostId : undefined;

/**
 * A per-host procedure (issue 22 §1): the call's `hostId` (raw input, absent = this instance) is
 * resolved here, the one place it is, before the procedure's own input check; NOT_FOUND for a
 * host this instance does not serve. The next middleware turns it into `ctx.host`.
 */
const resolveCallHost = t.middleware(async ({ ctx, getRawInput, next }) =>
	next({ ctx: { resolvedHost: await resolveHost(ctx.services, hostIdOf(await getRawInput())) } })
);

/**
 * In hub mode (issue 15, decision 0013) a vmwarden registry host's call goes to that host (same
 * path and type, input without hostId) and its answer is this call's answer: the procedure does
 * not run here. A bare Docker host runs the procedure here against its own Docker when the
 * procedure says it can (`meta.dockerHost`). Runs after the role check: the hub user must hold
 * the role here first.
 */
const runOrForward = resolveCallHost.unstable_pipe(
	async ({ ctx, meta, path, type, signal, getRawInput, next }) => {
		const resolved = ctx.resolvedHost;
		if (resolved.kind === 'local') return next({ ctx: { host: localHost(ctx.services) } });
		const { record } = resolved;
		const hub = ctx.services.hub;
		if (record.kind === 'vmwarden') {
			const { hostId: _drop, ...input } = (await getRawInput()) as Record<string, unknown>;
			const data = await hub.forward(record, {
				principal: ctx.principal,
				clientKey: ctx.clientKey,
				path,
				type,
				input,
				signal
			});
			return { ok: true as const, data, marker: middlewareMarker };
		}
		if (!meta?.dockerHost) {
			throw new TRPCError({
				code: 'PRECONDITION_FAILED',
				message: `${record.name} is a bare Docker host: no ${path.split('.')[0]} there (only containers, logs, restarts and host figures)`
			});
		}
		auditHostIs(record.id); // the procedure runs here for that host: a refusal's row names it
		const host: RunHost = {
			kind: 'docker',
			id: record.id,
			record,
			containers: await hub.docker.containers(record),
			summary: (s) => hub.docker.summary(record, s ?? signal ?? new AbortController().signal)
		};
		return next({ ctx: { host } });
	}
);

/** A per-host procedure the hub answers itself for every host (e.g. trends from the shared PromQL store): never forwarded. */
const answerHere = resolveCallHost.unstable_pipe(async ({ ctx, next }) => {
	const resolved = ctx.resolvedHost;
	const host: HostRef =
		resolved.kind === 'local'
			? { kind: 'local', id: ctx.services.config.hostId }
			: { kind: resolved.record.kind, id: resolved.record.id };
	return next({ ctx: { host } });
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
/** Read-only, about no one host (the session, the hub's overview): sessions and the read-only API token. */
export const viewerProcedure = audited.use(requireRole('viewer')).use(viewerView);
/** A state change about no one host. */
export const operatorProcedure = audited.use(requireRole('operator'));
/** Users, tokens, settings, the hosts registry. */
export const adminProcedure = audited.use(requireRole('admin'));

// Per-host procedures: the builder is the one declaration that a procedure is about one host
// (hub.all fans out exactly these, isPerHost below; host-context.ts' client list is held to them
// by trpc/per-host.spec.ts). Each gets `ctx.host`; none reads `input.hostId` itself.
/** A per-host read: this VM's, or forwarded to the registry host named by hostId. */
export const hostViewerProcedure = viewerProcedure.use(runOrForward);
/** A per-host state change (restart, cleanup, load/unload): forwarded (and audited here) like reads. */
export const hostOperatorProcedure = operatorProcedure.use(runOrForward);
/** A per-host read the hub answers itself for every registry host (decision 0013): never forwarded. */
export const hubLocalHostViewerProcedure = viewerProcedure.use(answerHere);

/** Whether a procedure was built on one of the per-host builders (its first middlewares are that builder's). */
export function isPerHost(proc: { _def: object }): 'forward' | 'here' | null {
	const mine = ((proc._def as { middlewares?: unknown[] }).middlewares ?? []) as unknown[];
	const on = (base: { _def: object }) => {
		const first = ((base._def as { middlewares?: unknown[] }).middlewares ?? []) as unknown[];
		return first.every((m, i) => mine[i] === m);
	};
	if (on(hostViewerProcedure) || on(hostOperatorProcedure)) return 'forward';
	if (on(hubLocalHostViewerProcedure)) return 'here';
	return null;
}
