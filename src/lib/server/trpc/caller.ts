import type { RequestEvent } from '@sveltejs/kit';
import { createCallerFactory } from './init';
import { appRouter } from './router';
import { getServices } from '../services';

const factory = createCallerFactory(appRouter);

/** Call the router from +page.server.ts with the request's principal. */
export function callerFor(event: Pick<RequestEvent, 'locals' | 'getClientAddress' | 'url'>) {
	return factory({
		services: getServices(),
		principal: event.locals.principal,
		sessionId: event.locals.sessionId,
		resHeaders: null,
		clientKey: event.getClientAddress(),
		secure: event.url.protocol === 'https:'
	});
}
