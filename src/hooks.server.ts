import { json, type Handle, type HandleServerError, type ServerInit } from '@sveltejs/kit';
import { SECURITY_HEADERS } from '$lib/server/security-headers';
import { building } from '$app/environment';
import { ConfigError, getConfig } from '$lib/server/config';
import { getServices, startServices } from '$lib/server/services';
import {
	refuseCrossSiteMutation,
	refuseCrossSiteRead,
	sessionCookieName
} from '$lib/server/auth/auth';
import { unauthenticatedResponse } from '$lib/server/auth/bearer';
import { createLogger } from '$lib/server/log';
import { startBanner } from '$lib/server/start/banner';
import { createFastLane, publishFastLane } from '$lib/server/fast-lane';
import { createClientAddress, isLoopbackHost } from '$lib/server/auth/client-address';
import { createProxyAuth, proxyLoginWarning } from '$lib/server/auth/proxy-auth';
import { pageErrorMessage } from '$lib/server/page-error';

const log = createLogger('server');

export const init: ServerInit = async () => {
	if (building) return;
	// Last resort: a rejection nobody handled (a bug, or a framework path outside its own
	// try/catch) is logged and the server keeps serving everyone else.
	process.on('unhandledRejection', (reason) =>
		log.error('unhandled rejection (the server keeps running)', { err: reason })
	);
	try {
		const services = await startServices(getConfig());
		const { config, auth } = services;
		publishFastLane(createFastLane(services));
		process.stdout.write(
			startBanner({
				...config,
				apiTokenFile: auth.apiTokenFile,
				setupToken: auth.pendingSetupToken(),
				authEnabled: auth.enabled
			})
		);
		const proxyWarning =
			config.auth.enabled && config.auth.proxyLogin
				? proxyLoginWarning({
						trustedProxies: config.auth.trustedProxies,
						secret: config.auth.proxyLogin.secret
					})
				: null;
		if (proxyWarning) log.warn(proxyWarning);
	} catch (err) {
		if (err instanceof ConfigError) {
			console.error(err.message);
		} else {
			log.error('start-up failed', { err });
		}
		process.exit(1);
	}
	process.once('sveltekit:shutdown', () => void getServices().stop());
};

/** Reachable without credentials. Everything else needs a session or the API token. */
const PUBLIC_PATHS = new Set(['/healthz', '/login', '/setup']);

/**
 * The decoded path, or null when an %-escape is not UTF-8 (SvelteKit cannot route it). The
 * result is returned, not dropped: the bundler removes a bare `decodeURI()` call as pure.
 */
function decodedPath(pathname: string): string | null {
	try {
		return decodeURI(pathname);
	} catch {
		return null;
	}
}

// `handle` returns every answer instead of throwing redirect()/error(): SvelteKit calls it for a
// path it cannot decode outside its own try/catch, where a throw became an unhandled rejection.
let addressOf: ReturnType<typeof createClientAddress> | null = null;
let proxyLogin: ReturnType<typeof createProxyAuth> | null | undefined;

/**
 * Headers on every response (pages get their CSP from kit.csp in svelte.config.js). An
 * authenticated response is never stored by a browser or proxy cache.
 */
function secured(res: Response, authenticated: boolean): Response {
	let out = res;
	try {
		out.headers.set('x-content-type-options', SECURITY_HEADERS['x-content-type-options']);
	} catch {
		out = new Response(res.body, res); // immutable headers (a fetched response): copy
	}
	for (const [name, value] of Object.entries(SECURITY_HEADERS)) out.headers.set(name, value);
	if (authenticated) out.headers.set('cache-control', 'no-store');
	return out;
}

export const handle: Handle = async ({ event, resolve }) => {
	const res = await guarded({ event, resolve });
	return secured(apiNotFound(event.url, res), event.locals.principal != null);
};

/** Under /api/ a path no route serves answers JSON, like every API answer (not the HTML error page). */
function apiNotFound(url: URL, res: Response): Response {
	if (
		res.status !== 404 ||
		!url.pathname.startsWith('/api/') ||
		!res.headers.get('content-type')?.startsWith('text/html')
	)
		return res;
	return json({ error: 'not found' }, { status: 404 });
}

const guarded: Handle = async ({ event, resolve }) => {
	const { url, request } = event;
	if (decodedPath(url.pathname) === null)
		return new Response('Bad request: the path is not valid percent-encoded UTF-8.\n', {
			status: 400,
			headers: { 'content-type': 'text/plain; charset=utf-8' }
		});
	const services = getServices();
	const { config } = services;
	// With auth off everyone is admin: serve only loopback names (or VMW_ORIGIN's host), so a
	// page on rebind.attacker.example that resolves to 127.0.0.1 cannot drive the app.
	if (
		!config.auth.enabled &&
		!isLoopbackHost(request.headers.get('host'), config.origin ? new URL(config.origin).host : null)
	) {
		return new Response(
			'Misdirected request: with VMW_AUTH=off only localhost names are served.\n',
			{ status: 421, headers: { 'content-type': 'text/plain; charset=utf-8' } }
		);
	}
	addressOf ??= createClientAddress({
		header: config.auth.addressHeader,
		trustedProxies: config.auth.trustedProxies
	});
	event.locals.clientAddress = addressOf(event.getClientAddress(), request.headers);
	if (url.pathname === '/healthz') return resolve(event);

	// Only the configured name: over https a plain vmw_session cookie (set by a sibling subdomain) is ignored.
	const sessionId = event.cookies.get(sessionCookieName(config.origin));
	event.locals.sessionId = sessionId;
	proxyLogin ??=
		config.auth.proxyLogin && config.auth.enabled
			? createProxyAuth({ ...config.auth.proxyLogin, trustedProxies: config.auth.trustedProxies })
			: null;
	const viaProxy = proxyLogin?.(event.getClientAddress(), request.headers);
	event.locals.principal =
		viaProxy !== undefined
			? viaProxy
			: await services.auth.authenticate({
					authorization: request.headers.get('authorization'),
					sessionId
				});

	const refusal =
		refuseCrossSiteMutation(request, url, event.locals.principal?.via === 'token') ??
		(url.pathname.startsWith('/api/trpc/') ? refuseCrossSiteRead(request, url) : null);
	if (refusal) return json({ error: refusal }, { status: 403 });

	// tRPC authorizes per procedure (login and setup are public there).
	if (
		url.pathname.startsWith('/api/trpc/') ||
		PUBLIC_PATHS.has(url.pathname) ||
		event.locals.principal
	)
		return resolve(event);

	if (url.pathname.startsWith('/api/') || url.pathname === '/metrics') {
		return unauthenticatedResponse(); // the fast lane answers the same (auth/bearer.ts)
	}
	const next = url.pathname + url.search;
	return new Response(null, {
		status: 303,
		headers: { location: `/login${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}` }
	});
};

/** A page load's failure (issue 15: another host unreachable, a bare Docker host): say why when we wrote the reason. */
export const handleError: HandleServerError = ({ error, event, status, message }) => {
	const shown = pageErrorMessage(error, message);
	if (!shown.expected && status >= 500)
		log.error('page failed', { path: event.url.pathname, err: error });
	return { message: shown.message };
};
