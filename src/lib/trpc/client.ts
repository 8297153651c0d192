// Browser tRPC client. Types only from the server: `import type` keeps server code out of the bundle.
import {
	createTRPCClient,
	httpBatchLink,
	httpSubscriptionLink,
	splitLink,
	type TRPCLink
} from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from '$lib/server/trpc/router';
import { withHost } from '$lib/host-context';
import { MAX_BATCH_CALLS } from './limits';

export type { AppRouter };

/**
 * Adds the page's host to every host-scoped query, mutation and subscription (host-context.ts
 * withHost): components call `trpc().containers.restart.mutate({ id })` and it lands on the
 * host the page shows. `hostId()` is read per operation; null is the local host.
 */
export function hostLink(hostId: () => string | null): TRPCLink<AppRouter> {
	return () =>
		({ op, next }) =>
			next({ ...op, input: withHost(op.path, op.input, hostId()) });
}

export function createClient(
	base = '',
	{ hostId = () => null }: { hostId?: () => string | null } = {}
) {
	const url = `${base}/api/trpc`;
	return createTRPCClient<AppRouter>({
		links: [
			hostLink(hostId),
			splitLink({
				condition: (op) => op.type === 'subscription',
				true: httpSubscriptionLink({ url, transformer: superjson }),
				false: httpBatchLink({ url, transformer: superjson, maxItems: MAX_BATCH_CALLS })
			})
		]
	});
}

/** The host this tab's calls go to: set by the root layout from the page's host choice. */
let pageHost: string | null = null;
export function setPageHost(hostId: string | null) {
	pageHost = hostId;
}

let browserClient: ReturnType<typeof createClient> | null = null;
/** One client per tab. */
export function trpc() {
	browserClient ??= createClient('', { hostId: () => pageHost });
	return browserClient;
}
