// Browser tRPC client. Types only from the server: `import type` keeps server code out of the bundle.
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from '$lib/server/trpc/router';

export type { AppRouter };

export function createClient(base = '') {
	const url = `${base}/api/trpc`;
	return createTRPCClient<AppRouter>({
		links: [
			splitLink({
				condition: (op) => op.type === 'subscription',
				true: httpSubscriptionLink({ url, transformer: superjson }),
				false: httpBatchLink({ url, transformer: superjson })
			})
		]
	});
}

let browserClient: ReturnType<typeof createClient> | null = null;
/** One client per tab. */
export function trpc() {
	browserClient ??= createClient();
	return browserClient;
}
