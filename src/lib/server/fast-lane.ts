// The cheap path for the three GETs that scripts and Prometheus poll: /api/vm/health and
// /metrics with a bearer token, and /healthz. server.js puts this in front of SvelteKit's
// handler on node:http, so these answers skip building a web Request/Response, routing and
// streaming the body (docs/decisions/0009-fast-lane-for-polled-gets.md has the profile).
//
// It answers only what it can answer exactly as `handle` would: auth on, GET, one of these
// paths, and for the two protected ones an Authorization: Bearer header (a wrong token gets the
// same 401 as `handle` gives). Everything else, including every session cookie, goes on to
// SvelteKit. Both send SECURITY_HEADERS (security-headers.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Services } from './services';
import { currentSnapshotJson } from './health/current';
import { SECURITY_HEADERS } from './security-headers';

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
	res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...extra });
	res.end(body);
}

export type FastLane = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Returns true when it took the request (and answers it), false to hand it to SvelteKit. */
export function createFastLane(services: Services): FastLane {
	return (req, res) => {
		if (req.method !== 'GET' || !services.config.auth.enabled) return false;
		const url = req.url ?? '';
		const q = url.indexOf('?');
		const path = q < 0 ? url : url.slice(0, q);
		if (path === '/healthz') {
			const { status, body } = healthzAnswer(services);
			send(res, status, 'application/json', body);
			return true;
		}
		if (path !== '/api/vm/health' && path !== '/metrics') return false;
		const authorization = req.headers.authorization;
		if (!authorization?.startsWith('Bearer ')) return false;
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
