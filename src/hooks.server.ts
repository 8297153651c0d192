import { json, redirect, type Handle, type ServerInit } from '@sveltejs/kit';
import { building } from '$app/environment';
import { ConfigError, getConfig } from '$lib/server/config';
import { getServices, startServices } from '$lib/server/services';
import { refuseCrossSiteMutation, SESSION_COOKIE } from '$lib/server/auth/auth';
import { createLogger } from '$lib/server/log';
import { startBanner } from '$lib/server/start/banner';

const log = createLogger('server');

export const init: ServerInit = async () => {
	if (building) return;
	try {
		const { config, auth } = await startServices(getConfig());
		process.stdout.write(startBanner({ ...config, apiTokenFile: auth.apiTokenFile, setupToken: auth.pendingSetupToken(), authEnabled: auth.enabled }));
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

export const handle: Handle = async ({ event, resolve }) => {
	const { url, request } = event;
	if (url.pathname === '/healthz') return resolve(event);

	const refusal = refuseCrossSiteMutation(request, url);
	if (refusal) return json({ error: refusal }, { status: 403 });

	const services = getServices();
	const sessionId = event.cookies.get(SESSION_COOKIE);
	event.locals.sessionId = sessionId;
	event.locals.principal = await services.auth.authenticate({ authorization: request.headers.get('authorization'), sessionId });

	// tRPC authorizes per procedure (login and setup are public there).
	if (url.pathname.startsWith('/api/trpc/') || PUBLIC_PATHS.has(url.pathname) || event.locals.principal) return resolve(event);

	if (url.pathname.startsWith('/api/') || url.pathname === '/metrics') {
		return json({ error: 'authentication required: log in or send Authorization: Bearer <API token>' }, { status: 401, headers: { 'www-authenticate': 'Bearer realm="vmwarden"' } });
	}
	const next = url.pathname + url.search;
	redirect(303, `/login${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`);
};
