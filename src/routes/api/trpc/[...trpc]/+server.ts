import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import type { RequestHandler } from './$types';
import { appRouter } from '$lib/server/trpc/router';
import { getServices } from '$lib/server/services';
import { createLogger } from '$lib/server/log';
import { isSecureRequest } from '$lib/server/auth/auth';

const log = createLogger('trpc');

const handler: RequestHandler = (event) =>
	fetchRequestHandler({
		endpoint: '/api/trpc',
		req: event.request,
		router: appRouter,
		createContext: ({ resHeaders }) => ({
			services: getServices(),
			principal: event.locals.principal,
			sessionId: event.locals.sessionId,
			resHeaders,
			clientKey: event.getClientAddress(),
			secure: isSecureRequest(event.request)
		}),
		onError({ error, path }) {
			if (error.code === 'INTERNAL_SERVER_ERROR') log.error(`${path ?? '?'} failed`, { err: error });
		}
	});

export const GET = handler;
export const POST = handler;
