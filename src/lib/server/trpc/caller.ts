import type { RequestEvent } from '@sveltejs/kit';
import { createCallerFactory } from './init';
import { appRouter } from './router';
import { getServices } from '../services';
import { isSecureRequest } from '../auth/auth';

const factory = createCallerFactory(appRouter);

/** Call the router from +page.server.ts with the request's principal. */
export function callerFor(event: Pick<RequestEvent, 'locals' | 'request'>) {
	return factory({
		services: getServices(),
		principal: event.locals.principal,
		sessionId: event.locals.sessionId,
		resHeaders: null,
		clientKey: event.locals.clientAddress,
		secure: isSecureRequest(event.request)
	});
}
