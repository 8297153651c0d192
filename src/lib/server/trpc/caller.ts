import type { RequestEvent } from '@sveltejs/kit';
import { createCallerFactory } from './init';
import { appRouter } from './router';
import { getServices } from '../services';
import { createContext } from './context';

const factory = createCallerFactory(appRouter);

/** Call the router from +page.server.ts with the request's principal. */
export function callerFor(event: Pick<RequestEvent, 'locals' | 'request'>) {
	return factory(createContext(event, getServices(), null));
}
