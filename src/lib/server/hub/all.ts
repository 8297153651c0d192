// All hosts at once (issue 15 item 2): one viewer query run on this host and on every registry
// host in parallel, each bounded by its host's timeout, answering one entry per host. A host that
// fails or is too slow gives an `unavailable` entry with the reason and the last good answer of
// the same (host, procedure, input) kept in a small LRU; it never delays the others beyond its
// timeout. The router (routers/hub.ts `hub.all`) is thin: the checks and the fan-out live here.
import {
	StandardSchemaV1Error,
	TRPCError,
	type AnyTRPCProcedure as AnyProcedure
} from '@trpc/server';
import superjson from 'superjson';
import { reasonOf, type Availability } from '../availability';
import type { HostKind } from '../hosts/types';

/** The input handed on to each host, as superjson text: at most this many bytes. */
export const ALL_INPUT_MAX_BYTES = 16 * 1024;
/** This host's own call has no registry timeout: this bound instead. */
export const LOCAL_TIMEOUT_MS = 10_000;
/** Last good answers kept, over all (host, procedure, input) keys. */
export const LAST_GOOD_MAX = 500;

/** One host's entry: the host, and its answer or why there is none (with the last good one). */
export type AllEntry<T = unknown> = {
	hostId: string;
	name: string;
	kind: HostKind | 'local';
} & Availability<T>;

/**
 * Whether a procedure was built on `base` (a procedure builder such as viewerProcedure): its
 * middlewares (role check, forwarding) come first in the procedure's own, as the same functions.
 */
export function builtOn(base: unknown): (p: AnyProcedure) => boolean {
	// no public tRPC 11 API shows a builder's or a procedure's middlewares: _def.middlewares is read untyped
	const first = ((base as { _def?: { middlewares?: unknown[] } })._def?.middlewares ??
		[]) as unknown[];
	return (p) => {
		const mine = ((p._def as { middlewares?: unknown[] }).middlewares ?? []) as unknown[];
		return first.length > 0 && first.every((m, i) => mine[i] === m);
	};
}

const refuse = (message: string): never => {
	throw new TRPCError({ code: 'BAD_REQUEST', message });
};

/**
 * The procedure `path` of the app router, if hub.all may run it: an existing per-host query
 * (`isPerHost`: built on a per-host builder) built on viewerProcedure (`isViewer`). The hub user's
 * own session, users, tokens, the registry and the all-hosts views are not per host. Anything
 * else is BAD_REQUEST saying why.
 */
export function checkProcedure(
	procedures: Record<string, unknown>,
	path: string,
	{
		isPerHost,
		isViewer
	}: { isPerHost: (p: AnyProcedure) => boolean; isViewer: (p: AnyProcedure) => boolean }
): AnyProcedure {
	const area = path.split('.')[0];
	const proc = Object.hasOwn(procedures, path) ? (procedures[path] as AnyProcedure) : undefined;
	if (!proc || typeof proc !== 'function' || !proc._def)
		return refuse(`hub.all: there is no procedure ${path}`);
	if (!isPerHost(proc))
		refuse(`hub.all does not run ${path}: the ${area} procedures are the hub's own, not per host`);
	const type = proc._def.type;
	if (type === 'mutation')
		refuse(
			`hub.all does not run ${path}: it is a mutation (a state change goes to one host at a time)`
		);
	if (type === 'subscription')
		refuse(`hub.all does not run ${path}: it is a subscription (hub.all runs queries)`);
	if (type !== 'query') refuse(`hub.all does not run ${path}: not a query`);
	if (!isViewer(proc))
		refuse(
			`hub.all does not run ${path}: it is not a viewer query (it needs another role, or none)`
		);
	return proc;
}

/** The procedure's input as given, checked for what hub.all adds to it: an object without hostId, bounded. */
export function checkInput(input: unknown): {
	input: Record<string, unknown> | undefined;
	key: string;
} {
	if (input !== undefined && (input === null || typeof input !== 'object' || Array.isArray(input)))
		refuse(
			"hub.all: input must be an object (the procedure's own fields; hostId is added per host)"
		);
	let text: string;
	try {
		text = superjson.stringify(input ?? null);
	} catch (err) {
		return refuse(`hub.all: the input cannot be serialized: ${reasonOf(err)}`);
	}
	const bytes = Buffer.byteLength(text);
	if (bytes > ALL_INPUT_MAX_BYTES)
		refuse(`hub.all: the input is ${bytes} bytes; at most ${ALL_INPUT_MAX_BYTES} are taken`);
	if (input && Object.hasOwn(input, 'hostId'))
		refuse('hub.all: leave hostId out of the input; it is set for each host');
	return { input: input as Record<string, unknown> | undefined, key: text };
}

/**
 * The procedure's own input check, once, before anything is sent: every host runs the same
 * check, so a refused input is one BAD_REQUEST instead of one unavailable entry per host.
 */
export async function validateLocally(
	proc: AnyProcedure,
	path: string,
	input: unknown
): Promise<void> {
	// _def.inputs is typed in the public AnyTRPCProcedure; each is a zod schema, checked through
	// Standard Schema (zod 4 implements it; tRPC's own parse helper is internal)
	for (const parser of proc._def.inputs as unknown[]) {
		const standard = (parser as Partial<StandardSchema>)['~standard'];
		if (!standard)
			throw new Error(`${path}: an input parser hub.all cannot run (not a Standard Schema)`);
		let result: Awaited<ReturnType<StandardSchema['~standard']['validate']>>;
		try {
			result = await standard.validate(input);
		} catch (err) {
			throw new TRPCError({
				code: 'BAD_REQUEST',
				message: `${path}: ${reasonOf(err)}`,
				cause: err
			});
		}
		if (result.issues)
			throw new TRPCError({
				code: 'BAD_REQUEST',
				message: `${path}: ${inputMessage(result.issues)}`,
				cause: new StandardSchemaV1Error(result.issues)
			});
	}
}

/** The part of the Standard Schema interface (standardschema.dev) hub.all uses. */
interface StandardSchema {
	'~standard': {
		validate(
			value: unknown
		): { issues?: readonly StandardIssue[] } | Promise<{ issues?: readonly StandardIssue[] }>;
	};
}
type StandardIssue = { message: string; path?: readonly (PropertyKey | { key: PropertyKey })[] };

function inputMessage(issues: readonly StandardIssue[]): string {
	const key = (k: PropertyKey | { key: PropertyKey }) => String(typeof k === 'object' ? k.key : k);
	return issues
		.map((i) => `${i.path?.length ? `${i.path.map(key).join('.')}: ` : ''}${i.message}`)
		.join('; ');
}

/** A bounded LRU of last good answers: the oldest-used key goes when a new one would exceed `max`. */
export function createLastGood(max = LAST_GOOD_MAX) {
	const entries = new Map<string, { data: unknown; at: number }>();
	return {
		get(key: string): { data: unknown; at: number } | undefined {
			const e = entries.get(key);
			if (e) {
				entries.delete(key);
				entries.set(key, e);
			}
			return e;
		},
		set(key: string, data: unknown, at: number) {
			entries.delete(key);
			entries.set(key, { data, at });
			while (entries.size > max) entries.delete(entries.keys().next().value as string);
		},
		/** Drops every key of one host (removed or changed in the registry). */
		forgetHost(hostId: string) {
			for (const k of [...entries.keys()]) if (k.startsWith(`${hostId}\0`)) entries.delete(k);
		},
		get size() {
			return entries.size;
		}
	};
}
export type LastGood = ReturnType<typeof createLastGood>;

/** The LRU key: host, and what was asked (the role too: a role may see more than another). */
export const lastGoodKey = (hostId: string, role: string, procedure: string, inputKey: string) =>
	`${hostId}\0${role}\0${procedure}\0${inputKey}`;

export interface AllTarget {
	hostId: string;
	name: string;
	kind: HostKind | 'local';
	timeoutMs: number;
	call(signal: AbortSignal): Promise<unknown>;
}

export class HostCallTimeout extends Error {
	override name = 'HostTimeoutError';
}

/** `run` with `ms` to answer: past that its signal is aborted and the promise rejects (whatever run does). */
export function bounded<T>(
	run: (signal: AbortSignal) => Promise<T>,
	ms: number,
	what: string,
	outer?: AbortSignal
): Promise<T> {
	const ctrl = new AbortController();
	const onOuter = () => ctrl.abort(outer?.reason);
	if (outer?.aborted) ctrl.abort(outer.reason);
	else outer?.addEventListener('abort', onOuter, { once: true });
	return new Promise<T>((resolve, reject) => {
		const timer = setTimeout(() => {
			const err = new HostCallTimeout(`${what} did not answer within ${ms} ms`);
			ctrl.abort(err);
			reject(err);
		}, ms);
		const done = () => {
			clearTimeout(timer);
			outer?.removeEventListener('abort', onOuter);
		};
		let p: Promise<T>;
		try {
			p = run(ctrl.signal);
		} catch (err) {
			p = Promise.reject(err);
		}
		p.then(
			(v) => {
				done();
				resolve(v);
			},
			(err) => {
				done();
				reject(err);
			}
		);
	});
}

/**
 * The reason an entry shows: the TRPCError's message (already names the host when forwarded), else
 * the error chain. An unexpected error (not a TRPCError we threw: its message can carry SQL or
 * paths) is hidden as the HTTP endpoint hides it (trpc/init.ts clientErrorShape).
 */
export function reasonFor(err: unknown): string {
	if (err instanceof TRPCError) {
		const unexpected =
			err.code === 'INTERNAL_SERVER_ERROR' &&
			err.cause instanceof Error &&
			!(err.cause instanceof TRPCError) &&
			err.message === err.cause.message;
		return unexpected ? 'Internal error; see the server log.' : err.message;
	}
	if (err instanceof HostCallTimeout) return err.message;
	return 'Internal error; see the server log.';
}

/**
 * Runs every target at once, each within its timeout, and answers in the targets' order. Good
 * answers are kept under `keyOf(hostId)`; a failure carries the last good one. `errors` holds
 * each failure as thrown (the caller decides what is not per host, e.g. a refused input).
 */
export async function runAll(
	targets: AllTarget[],
	opts: {
		keyOf(hostId: string): string;
		lastGood: LastGood;
		now?: () => number;
		signal?: AbortSignal;
		onError?: (hostId: string, err: unknown) => void;
	}
): Promise<{ entries: AllEntry[]; errors: Map<string, unknown> }> {
	const now = opts.now ?? Date.now;
	const errors = new Map<string, unknown>();
	const entries = await Promise.all(
		targets.map(async (t): Promise<AllEntry> => {
			const host = { hostId: t.hostId, name: t.name, kind: t.kind };
			const key = opts.keyOf(t.hostId);
			try {
				const data = await bounded(t.call, t.timeoutMs, t.name, opts.signal);
				const at = now();
				opts.lastGood.set(key, data, at);
				return { ...host, state: 'ok', data, at };
			} catch (err) {
				errors.set(t.hostId, err);
				opts.onError?.(t.hostId, err);
				const last = opts.lastGood.get(key);
				return {
					...host,
					state: 'unavailable',
					reason: reasonFor(err),
					lastGood: last?.data ?? null,
					lastGoodAt: last?.at ?? null,
					at: now()
				};
			}
		})
	);
	return { entries, errors };
}
