// Forwarding (decision 0013): a viewer or operator call whose input names a registry host of
// kind `vmwarden` is sent to that host with the same path and type and the input without
// `hostId`, through its typed client (untyped by path here). The host runs its own routers;
// the hub adds: an audit row for each mutation (target host in the row) and the hub user's
// identity in `x-vmwarden-on-behalf-of`, errors named by the host, timeouts and unreachable
// hosts as clear gateway errors, and subscriptions that reconnect with backoff.
import { getUntypedClient, TRPCClientError } from '@trpc/client';
import { TRPCError } from '@trpc/server';
import { actorOf, recordAction } from '../audit/actions';
import { reasonOf } from '../availability';
import type { Principal } from '../auth/auth';
import type { Db } from '../db';
import { HostTimeoutError } from '../hosts/connect';
import { describeFailure } from '../hosts/errors';
import type { HostRecord } from '../hosts/types';
import type { Logger } from '../log';
import type { VmwardenClient } from '$lib/client';

type Code = ConstructorParameters<typeof TRPCError>[0]['code'];
const CODES: ReadonlySet<string> = new Set<Code>([
	'PARSE_ERROR',
	'BAD_REQUEST',
	'INTERNAL_SERVER_ERROR',
	'NOT_IMPLEMENTED',
	'BAD_GATEWAY',
	'SERVICE_UNAVAILABLE',
	'GATEWAY_TIMEOUT',
	'UNAUTHORIZED',
	'PAYMENT_REQUIRED',
	'FORBIDDEN',
	'NOT_FOUND',
	'METHOD_NOT_SUPPORTED',
	'TIMEOUT',
	'CONFLICT',
	'PRECONDITION_FAILED',
	'PAYLOAD_TOO_LARGE',
	'UNSUPPORTED_MEDIA_TYPE',
	'UNPROCESSABLE_CONTENT',
	'PRECONDITION_REQUIRED',
	'TOO_MANY_REQUESTS',
	'CLIENT_CLOSED_REQUEST'
]);

/** Remote answers that a retry cannot change: a subscription stops on these instead of reconnecting. */
const FINAL: ReadonlySet<string> = new Set([
	'BAD_REQUEST',
	'PARSE_ERROR',
	'NOT_FOUND',
	'FORBIDDEN',
	'METHOD_NOT_SUPPORTED',
	'PRECONDITION_FAILED',
	'UNPROCESSABLE_CONTENT'
]);

const isTimeout = (err: unknown): boolean => {
	for (let e: unknown = err, i = 0; e instanceof Error && i < 6; e = e.cause, i++)
		if (e.name === 'HostTimeoutError' || e.name === 'TimeoutError') return true;
	return false;
};

/**
 * The host's answer as the hub's error: the remote's code and message, prefixed with the host's
 * name. The remote refusing the hub's own token (UNAUTHORIZED there) is BAD_GATEWAY here: the
 * hub user is logged in, and a browser would take UNAUTHORIZED for its own session ending.
 * No answer: GATEWAY_TIMEOUT (the host's timeout passed) or BAD_GATEWAY (unreachable).
 */
/** The bound a HostTimeoutError in the chain carries (a mutation's is longer than the host's timeout). */
function boundOf(err: unknown): number | null {
	for (let e: unknown = err, i = 0; e instanceof Error && i < 6; e = e.cause, i++)
		if (e instanceof HostTimeoutError) return e.timeoutMs;
	return null;
}

export function remoteError(
	host: Pick<HostRecord, 'name' | 'timeoutMs'> & Partial<Pick<HostRecord, 'url' | 'dockerHost'>>,
	err: unknown
): TRPCError {
	if (err instanceof TRPCError) return err;
	const remoteCode =
		err instanceof TRPCClientError ? (err.data as { code?: unknown } | undefined)?.code : undefined;
	if (typeof remoteCode === 'string' && CODES.has(remoteCode)) {
		const message = (err as Error).message;
		if (remoteCode === 'UNAUTHORIZED')
			return new TRPCError({
				code: 'BAD_GATEWAY',
				message: `${host.name} refused the hub's API token: ${message} (check the host's token in the hosts registry)`
			});
		return new TRPCError({ code: remoteCode as Code, message: `${host.name}: ${message}` });
	}
	if (isTimeout(err))
		return new TRPCError({
			code: 'GATEWAY_TIMEOUT',
			message: `${host.name} did not answer within ${boundOf(err) ?? host.timeoutMs} ms`
		});
	// plain words (connection refused, TLS, name, …) when the address is known, else the error chain
	const where = host.url ?? host.dockerHost;
	const why = where
		? describeFailure(err, {
				what: host.url ? 'vmwarden' : 'Docker Engine',
				where,
				timeoutMs: host.timeoutMs
			})
		: reasonOf(err);
	return new TRPCError({ code: 'BAD_GATEWAY', message: `${host.name} is unreachable: ${why}` });
}

const HEADER_SAFE = /[^A-Za-z0-9._:@#+-]/g;

/** The hub user as the host records them: `session:operator:alice@hub` (printable, bounded). */
export function onBehalfOfValue(principal: Principal | null, hubId: string): string {
	return `${actorOf(principal)}@${hubId}`.replace(HEADER_SAFE, '_').slice(0, 120);
}

/** What the mutation acted on, for the hub's audit row: the input's id / name / key, if any. */
function targetOf(input: Record<string, unknown>): string | null {
	for (const k of ['id', 'name', 'key', 'model', 'mode']) {
		const v = input[k];
		if (typeof v === 'string' || typeof v === 'number') return String(v).slice(0, 128);
	}
	return null;
}

export interface ForwardDeps {
	db: Db;
	hubId: string;
	client(host: HostRecord): VmwardenClient;
	clientOnBehalfOf(host: HostRecord, onBehalfOf: string): VmwardenClient;
	log: Logger;
	/** reconnect delays of a forwarded subscription (ms): first, cap */
	backoff?: { firstMs: number; maxMs: number };
}

export interface ForwardCall {
	principal: Principal | null;
	clientKey: string;
	path: string;
	type: 'query' | 'mutation' | 'subscription';
	/** the input without hostId */
	input: Record<string, unknown>;
	signal: AbortSignal | undefined;
}

/** Sends one call to a vmwarden host; a subscription comes back as an async iterable. */
export async function forwardToHost(
	deps: ForwardDeps,
	host: HostRecord,
	call: ForwardCall
): Promise<unknown> {
	const { path, input, signal } = call;
	if (call.type === 'query') {
		try {
			return await getUntypedClient(deps.client(host)).query(path, input, { signal });
		} catch (err) {
			throw remoteError(host, err);
		}
	}
	if (call.type === 'mutation') {
		const client = getUntypedClient(
			deps.clientOnBehalfOf(host, onBehalfOfValue(call.principal, deps.hubId))
		);
		return recordAction(
			deps.db,
			{
				hostId: host.id,
				actor: actorOf(call.principal),
				address: call.clientKey,
				action: path,
				target: targetOf(input),
				input
			},
			async () => {
				try {
					return await client.mutation(path, input, { signal });
				} catch (err) {
					throw remoteError(host, err);
				}
			},
			() => `done on ${host.name}`
		);
	}
	return forwardSubscription(deps, host, path, input, signal);
}

const sleep = (ms: number, signal: AbortSignal | undefined) =>
	new Promise<void>((resolve) => {
		const t = setTimeout(done, ms);
		function done() {
			clearTimeout(t);
			signal?.removeEventListener('abort', done);
			resolve();
		}
		signal?.addEventListener('abort', done, { once: true });
	});

/**
 * A host's subscription, relayed: ends (and aborts the remote one) when the hub's client goes
 * away; when the host drops it, reconnects with exponential backoff (logged with the delay);
 * a final refusal (bad input, unknown procedure, forbidden) ends it with that error.
 */
export async function* forwardSubscription(
	deps: ForwardDeps,
	host: HostRecord,
	path: string,
	input: Record<string, unknown>,
	signal: AbortSignal | undefined
): AsyncGenerator<unknown, void, unknown> {
	const { firstMs, maxMs } = deps.backoff ?? { firstMs: 1_000, maxMs: 30_000 };
	let failures = 0;
	while (!signal?.aborted) {
		const ctrl = new AbortController();
		const stop = () => ctrl.abort();
		signal?.addEventListener('abort', stop, { once: true });
		try {
			const it = getUntypedClient(deps.client(host)).subscription(path, input, {
				signal: ctrl.signal
			}) as AsyncIterableIterator<unknown>;
			for await (const value of it) {
				if (failures)
					deps.log.info(`hub: ${host.name} ${path} stream is back`, { host: host.id, path });
				failures = 0;
				yield value;
			}
			return; // the host ended it
		} catch (err) {
			if (signal?.aborted) return;
			const mapped = remoteError(host, err);
			if (FINAL.has(mapped.code)) throw mapped;
			failures++;
			const delay = Math.min(maxMs, firstMs * 2 ** (failures - 1));
			deps.log.warn(
				`hub: ${host.name} ${path} stream lost (${mapped.message}); reconnecting in ${delay} ms`,
				{ host: host.id, path, attempt: failures }
			);
			await sleep(delay, signal);
		} finally {
			signal?.removeEventListener('abort', stop);
			ctrl.abort();
		}
	}
}
