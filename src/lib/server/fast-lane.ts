// The cheap path for the GETs that scripts, Prometheus and other tools poll: /api/vm/health,
// /metrics and tRPC queries/subscriptions (GET /api/trpc/…) with a bearer token, and /healthz. server.js puts this in front of SvelteKit's
// handler on node:http, so these answers skip building a web Request/Response, routing and
// streaming the body (docs/decisions/0006-fast-lane-for-polled-gets.md has the profile).
//
// It answers only what it can answer exactly as `handle` would: auth on, GET, one of these
// paths, and for the protected ones an Authorization: Bearer header (a wrong token gets the
// same 401 as `handle` gives; on tRPC, the procedure's UNAUTHORIZED). tRPC runs through its own
// node-http adapter with the one createInnerContext. Everything else, including every session
// cookie and every POST (mutations), goes on to SvelteKit. A header policy added to `handle`
// must be added here too.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { nodeHTTPRequestHandler } from '@trpc/server/adapters/node-http';
import type { Services } from './services';
import { currentSnapshotJson } from './health/current';
import { createClientAddress } from './auth/client-address';
import { createLogger } from './log';
import { appRouter } from './trpc/router';
import { createInnerContext } from './trpc/context';

/** GET /healthz: status code and body, shared with routes/healthz/+server.ts. */
export function healthzAnswer(s: Pick<Services, 'health' | 'startedAt'>): { status: number; body: string } {
	const h = s.health();
	return {
		status: h.ok ? 200 : 503,
		body: JSON.stringify({ status: h.ok ? 'ok' : 'degraded', uptimeS: Math.round((Date.now() - s.startedAt) / 1000), services: h.services })
	};
}

export const UNAUTHENTICATED_BODY = JSON.stringify({ error: 'authentication required: log in or send Authorization: Bearer <API token>' });

function send(res: ServerResponse, status: number, contentType: string, body: string, extra: Record<string, string> = {}) {
	res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...extra });
	res.end(body);
}

export type FastLane = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Returns true when it took the request (and answers it), false to hand it to SvelteKit. */
export function createFastLane(services: Services): FastLane {
	const { config } = services;
	const log = createLogger('trpc');
	const addressOf = createClientAddress({ header: config.auth.addressHeader, trustedProxies: config.auth.trustedProxies });
	const headerGetter = (req: IncomingMessage) => ({ get: (name: string) => [req.headers[name.toLowerCase()] ?? null].flat()[0] }) as unknown as Headers;

	function trpc(req: IncomingMessage, res: ServerResponse, path: string, authorization: string) {
		void nodeHTTPRequestHandler({
			req,
			res,
			router: appRouter,
			path: path.slice('/api/trpc/'.length).replace(/\/+$/, ''),
			async createContext() {
				return createInnerContext({
					services,
					principal: await services.auth.authenticate({ authorization, sessionId: undefined }),
					clientKey: addressOf(req.socket.remoteAddress ?? '', headerGetter(req)),
					// as auth.isSecureRequest: only an https Origin makes cookies Secure (no cookies are set on a GET)
					secure: String(req.headers.origin ?? '').startsWith('https://')
				});
			},
			onError({ error, path: p }) {
				if (error.code === 'INTERNAL_SERVER_ERROR') log.error(`${p ?? '?'} failed`, { err: error });
			}
		});
	}

	return (req, res) => {
		if (req.method !== 'GET' || !config.auth.enabled) return false;
		const url = req.url ?? '';
		const q = url.indexOf('?');
		const path = q < 0 ? url : url.slice(0, q);
		if (path === '/healthz') {
			const { status, body } = healthzAnswer(services);
			send(res, status, 'application/json', body);
			return true;
		}
		const authorization = req.headers.authorization;
		if (!authorization?.startsWith('Bearer ')) return false;
		if (path.startsWith('/api/trpc/')) {
			// an undecodable path is handle's to refuse (400)
			try {
				decodeURI(path);
			} catch {
				return false;
			}
			trpc(req, res, path, authorization);
			return true;
		}
		if (path !== '/api/vm/health' && path !== '/metrics') return false;
		void (async () => {
			try {
				const principal = await services.auth.authenticate({ authorization, sessionId: undefined });
				if (!principal) return send(res, 401, 'application/json', UNAUTHENTICATED_BODY, { 'www-authenticate': 'Bearer realm="vmwarden"' });
				if (path === '/api/vm/health') return send(res, 200, 'application/json', currentSnapshotJson(services));
				send(res, 200, services.metrics.contentType, await services.metrics.metrics());
			} catch (err) {
				if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ error: 'internal error' }));
				else res.destroy(err as Error);
			}
		})();
		return true;
	};
}

const KEY = Symbol.for('vmwarden.fastLane');

/** hooks.server.ts init publishes the lane; server.js (outside the bundle) picks it up. */
export function publishFastLane(lane: FastLane) {
	(globalThis as Record<symbol, unknown>)[KEY] = lane;
}
