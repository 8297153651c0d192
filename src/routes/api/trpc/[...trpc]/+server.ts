import { json } from '@sveltejs/kit';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import type { RequestHandler } from './$types';
import { appRouter } from '$lib/server/trpc/router';
import { getServices } from '$lib/server/services';
import { createLogger } from '$lib/server/log';
import { createContext } from '$lib/server/trpc/context';

const log = createLogger('trpc');

const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>;

/**
 * A batch that carries an auth.* mutation (login, setup, …) beside other calls. Such calls
 * are one per request: a batch of 1,400 logins must not become 1,400 guesses in one request.
 */
function batchedAuthMutation(pathname: string): string | null {
	let names: string[];
	try {
		// tRPC decodes the path the same way before splitting it at commas.
		names = decodeURIComponent(pathname.slice('/api/trpc/'.length)).split(',');
	} catch {
		return null; // hooks.server.ts already answered 400 for an undecodable path
	}
	if (names.length < 2) return null;
	return names.find((n) => n.startsWith('auth.') && procedures[n]?._def.type === 'mutation') ?? null;
}

const handler: RequestHandler = (event) => {
	const batched = batchedAuthMutation(event.url.pathname);
	if (batched) {
		log.warn('refused a batch with an auth mutation', { procedure: batched, address: event.locals.clientAddress });
		return json({ error: { message: `${batched} cannot be batched with other calls`, code: 'BAD_REQUEST' } }, { status: 400 });
	}
	return fetchRequestHandler({
		endpoint: '/api/trpc',
		req: event.request,
		router: appRouter,
		createContext: ({ resHeaders }) => createContext(event, getServices(), resHeaders),
		onError({ error, path }) {
			if (error.code === 'INTERNAL_SERVER_ERROR') log.error(`${path ?? '?'} failed`, { err: error });
		}
	});
};

export const GET = handler;
export const POST = handler;
