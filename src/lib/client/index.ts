// The typed client for other tools: `import { createVmwardenClient } from 'vmwarden/client'`.
// Published through package.json exports["./client"] (built by scripts/build-client.js into dist/).
// Runtime imports are @trpc/client, superjson and eventsource only: AppRouter is imported as a
// type, so no server module reaches a consumer's bundle.
import {
	createTRPCClient,
	httpBatchLink,
	httpLink,
	httpSubscriptionLink,
	splitLink,
	type TRPCClient
} from '@trpc/client';
import { EventSource } from 'eventsource';
import superjson from 'superjson';
import type { AppRouter } from '../server/trpc/router';
import { MAX_BATCH_CALLS } from '../trpc/limits';

export type { AppRouter };
export type { HealthSnapshot, Status } from '../health';
export { TRPCClientError } from '@trpc/client';

export interface VmwardenClientOptions {
	/** Base URL of the vmwarden server, e.g. http://127.0.0.1:4004 (a path prefix is kept). */
	url: string | URL;
	/** API token sent as `Authorization: Bearer …`; leave out in a browser that has a session cookie. */
	token?: string;
	/** fetch to use (defaults to globalThis.fetch): for proxies, timeouts or tests. */
	fetch?: typeof globalThis.fetch;
	/** Extra headers on every request (e.g. a hub's `x-vmwarden-on-behalf-of`); the token's Authorization wins. */
	headers?: Record<string, string>;
}

export type VmwardenClient = TRPCClient<AppRouter>;

/** The tRPC endpoint under a base URL: http://h:4004 and http://h:4004/vmw/ give …/api/trpc and …/vmw/api/trpc. */
export function trpcEndpoint(url: string | URL): string {
	const base = new URL(url);
	if (!base.pathname.endsWith('/')) base.pathname += '/';
	return new URL('api/trpc', base).href;
}

/**
 * A tRPC client for vmwarden: bearer token, superjson (the server's transformer: do not pick
 * another), queries batched, mutations one per request, subscriptions over SSE through the
 * `eventsource` package, which sends the token header in Node 20 and in browsers alike
 * (a browser's own EventSource cannot send headers).
 */
export function createVmwardenClient({
	url,
	token,
	fetch: fetchImpl,
	headers: extra
}: VmwardenClientOptions): VmwardenClient {
	const endpoint = trpcEndpoint(url);
	const authFetch = ((input: RequestInfo | URL, init?: RequestInit) => {
		const headers = new Headers(init?.headers);
		for (const [name, value] of Object.entries(extra ?? {})) headers.set(name, value);
		if (token) headers.set('authorization', `Bearer ${token}`);
		return (fetchImpl ?? globalThis.fetch)(input, { ...init, headers });
	}) as typeof globalThis.fetch;
	return createTRPCClient<AppRouter>({
		links: [
			splitLink({
				condition: (op) => op.type === 'subscription',
				true: httpSubscriptionLink({
					url: endpoint,
					transformer: superjson,
					EventSource,
					eventSourceOptions: () => ({ fetch: authFetch })
				}),
				false: splitLink({
					condition: (op) => op.type === 'query',
					true: httpBatchLink({
						url: endpoint,
						transformer: superjson,
						fetch: authFetch,
						maxItems: MAX_BATCH_CALLS
					}),
					false: httpLink({ url: endpoint, transformer: superjson, fetch: authFetch })
				})
			})
		]
	});
}
