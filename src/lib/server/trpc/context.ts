// The one way a tRPC context is made (t3's createInnerTRPCContext pattern): the HTTP endpoint,
// createCaller from +page.server.ts and the specs and tests (callerAs in tests/helpers/services.ts)
// all go through createInnerContext, so a new context field is added once and cannot be
// forgotten by one of them.
import type { RequestEvent } from '@sveltejs/kit';
import type { Context } from './init';
import type { Services } from '../services';
import type { Principal } from '../auth/auth';
import { isSecureRequest } from '../auth/auth';
import { withOnBehalfOf } from '../audit/actions';

export interface InnerContextOptions {
	services: Services;
	principal: Principal | null;
	sessionId?: string;
	/** Response headers (Set-Cookie at login); null through createCaller. */
	resHeaders?: Headers | null;
	/** The client's address (hooks.server.ts resolves it through trusted proxies). */
	clientKey?: string;
	secure?: boolean;
}

/** A context without a request: specs and internal callers. */
export function createInnerContext(opts: InnerContextOptions): Context {
	return {
		services: opts.services,
		principal: opts.principal,
		sessionId: opts.sessionId,
		resHeaders: opts.resHeaders ?? null,
		clientKey: opts.clientKey ?? 'internal',
		secure: opts.secure ?? false
	};
}

/** The context of an HTTP request, after hooks.server.ts authenticated it. */
export function createContext(
	event: Pick<RequestEvent, 'locals' | 'request'>,
	services: Services,
	resHeaders: Headers | null
): Context {
	return createInnerContext({
		services,
		// a hub's operate-scope token names the hub user it acts for (audit only; decision 0013)
		principal: withOnBehalfOf(
			event.locals.principal,
			event.request.headers.get('x-vmwarden-on-behalf-of')
		),
		sessionId: event.locals.sessionId,
		resHeaders,
		clientKey: event.locals.clientAddress,
		secure: isSecureRequest(event.request)
	});
}
