import { json } from '@sveltejs/kit';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import type { RequestHandler } from './$types';
import { appRouter } from '$lib/server/trpc/router';
import { getServices } from '$lib/server/services';
import { createLogger } from '$lib/server/log';
import { createContext } from '$lib/server/trpc/context';
import { MAX_BATCH_CALLS } from '$lib/trpc/limits';

const log = createLogger('trpc');

// no public tRPC 11 API lists or looks up a router's procedures: _def.procedures (typed in the exported TRPCRouterDef)
const procedures = appRouter._def.procedures as unknown as Record<
	string,
	{ _def: { type: string } }
>;

/** The procedure names of a request, as tRPC splits them; null for an undecodable path. */
function callNames(pathname: string): string[] | null {
	try {
		// tRPC decodes the path the same way before splitting it at commas.
		return decodeURIComponent(pathname.slice('/api/trpc/'.length)).split(',');
	} catch {
		return null; // hooks.server.ts already answered 400 for an undecodable path
	}
}

/**
 * A batch that carries an auth.* mutation (login, setup, …) beside other calls. Such calls
 * are one per request: a batch of 1,400 logins must not become 1,400 guesses in one request.
 */
function batchedAuthMutation(names: string[]): string | null {
	if (names.length < 2) return null;
	return (
		names.find((n) => n.startsWith('auth.') && procedures[n]?._def.type === 'mutation') ?? null
	);
}

const handler: RequestHandler = (event) => {
	const names = callNames(event.url.pathname) ?? [];
	// One request is at most MAX_BATCH_CALLS calls (decision 0020): 150 week-long history reads in
	// one GET held the server for minutes. tRPC's maxBatchSize below refuses the same, with a vaguer message.
	if (names.length > MAX_BATCH_CALLS && event.url.searchParams.get('batch') === '1') {
		log.warn('refused a batch over the cap', {
			calls: names.length,
			address: event.locals.clientAddress
		});
		return json(
			{
				error: {
					message: `A batch carries at most ${MAX_BATCH_CALLS} calls; this one has ${names.length}. Split it into several requests.`,
					code: 'BAD_REQUEST'
				}
			},
			{ status: 400 }
		);
	}
	const batched = batchedAuthMutation(names);
	if (batched) {
		log.warn('refused a batch with an auth mutation', {
			procedure: batched,
			address: event.locals.clientAddress
		});
		return json(
			{ error: { message: `${batched} cannot be batched with other calls`, code: 'BAD_REQUEST' } },
			{ status: 400 }
		);
	}
	return fetchRequestHandler({
		endpoint: '/api/trpc',
		req: event.request,
		router: appRouter,
		maxBatchSize: MAX_BATCH_CALLS,
		createContext: ({ resHeaders }) => createContext(event, getServices(), resHeaders),
		onError({ error, path }) {
			if (error.code === 'INTERNAL_SERVER_ERROR')
				log.error(`${path ?? '?'} failed`, { err: error });
		}
	});
};

export const GET = handler;
export const POST = handler;
