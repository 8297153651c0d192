// The cheap path for the GETs that scripts, Prometheus and other tools poll: /api/vm/health,
// /metrics and tRPC's health.snapshot with a bearer token, and /healthz. server.js puts this in
// front of SvelteKit's handler on node:http, so these answers skip building a web
// Request/Response, routing and streaming the body (docs/decisions/0009-fast-lane-for-polled-gets.md
// has the profile; 0015 adds health.snapshot).
//
// It answers only what it can answer exactly as `handle` would: auth on, no trusted-proxy login
// configured, GET, one of these paths, and for the protected ones an Authorization: Bearer
// header. What a Bearer header is, that it alone decides the principal, and the 401 a wrong token
// gets on /api/vm/health and /metrics come from auth/bearer.ts, which `handle` uses too; a
// tRPC call it cannot answer (wrong token, a cross-site header, any other input) goes on to
// SvelteKit and tRPC. Everything else, including every session cookie, goes on to SvelteKit.
// All send SECURITY_HEADERS (security-headers.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Services } from './services';
import { currentSnapshotJson, currentSnapshotTrpc } from './health/current';
import { hasRole, type Principal } from './auth/auth';
import { bearerToken, UNAUTHENTICATED } from './auth/bearer';
import { SECURITY_HEADERS } from './security-headers';

/** GET /healthz: status code and body, shared with routes/healthz/+server.ts. */
export function healthzAnswer(s: Pick<Services, 'health' | 'startedAt'>): {
	status: number;
	body: string;
} {
	const h = s.health();
	return {
		status: h.ok ? 200 : 503,
		body: JSON.stringify({
			status: h.ok ? 'ok' : 'degraded',
			uptimeS: Math.round((Date.now() - s.startedAt) / 1000),
			services: h.services
		})
	};
}

function send(
	res: ServerResponse,
	status: number,
	contentType: string,
	body: string,
	extra: Record<string, string> = {}
) {
	res.writeHead(status, {
		...SECURITY_HEADERS,
		'content-type': contentType,
		'content-length': Buffer.byteLength(body),
		'cache-control': 'no-store',
		...extra
	});
	res.end(body);
}

/**
 * Takes the request (returns true, and answers it, or calls `next` to hand it on later) or
 * leaves it (returns false: the caller hands it to SvelteKit).
 */
export type FastLane = (req: IncomingMessage, res: ServerResponse, next: () => void) => boolean;

const SNAPSHOT_PATH = '/api/trpc/health.snapshot';
/** tRPC's own headers on a query answer (resolveResponse), beside handle's. */
const TRPC_HEADERS = { vary: 'trpc-accept, accept' };

/**
 * The `health.snapshot` calls the lane answers, by query string: none (curl, the bench), or the
 * one-call batch the typed client sends for `query()` and `query({})`. Anything else (a hostId,
 * several calls, extra parameters) is null: tRPC answers it.
 */
export function snapshotCallOf(search: string): 'single' | 'batch' | null {
	if (search === '') return 'single';
	const params = new URLSearchParams(search);
	const keys = [...params.keys()];
	if (keys.length !== 2 || params.get('batch') !== '1' || !params.has('input')) return null;
	let input: unknown;
	try {
		input = JSON.parse(params.get('input')!);
	} catch {
		return null;
	}
	if (!isPlain(input) || Object.keys(input).length !== 1 || !isPlain(input['0'])) return null;
	const call = input['0'];
	const keysOf = Object.keys(call).sort().join();
	// query({}): {"json":{}}
	if (keysOf === 'json' && isPlain(call.json) && Object.keys(call.json).length === 0)
		return 'batch';
	// query(): superjson's undefined, {"json":null,"meta":{"values":["undefined"],"v":1}}
	if (keysOf === 'json,meta' && call.json === null && isPlain(call.meta)) {
		const { values, v, ...rest } = call.meta;
		if (
			Object.keys(rest).length === 0 &&
			Array.isArray(values) &&
			values.length === 1 &&
			values[0] === 'undefined' &&
			(v === undefined || v === 1)
		)
			return 'batch';
	}
	return null;
}

function isPlain(v: unknown): v is Record<string, unknown> {
	return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Returns true when it took the request (and answers it), false to hand it to SvelteKit. */
export function createFastLane(services: Services): FastLane {
	return (req, res, next) => {
		const { auth } = services.config;
		if (req.method !== 'GET' || !auth.enabled) return false;
		const url = req.url ?? '';
		const q = url.indexOf('?');
		const path = q < 0 ? url : url.slice(0, q);
		if (path === '/healthz') {
			const { status, body } = healthzAnswer(services);
			send(res, status, 'application/json', body);
			return true;
		}
		// handle lets a trusted proxy's user header decide the principal: only handle answers then
		if (auth.proxyLogin) return false;
		const authorization = req.headers.authorization;
		// only a request whose Bearer header decides its principal alone (a cookie could decide the others)
		if (authorization === undefined || bearerToken(authorization) === null) return false;
		if (path === SNAPSHOT_PATH) {
			const call = snapshotCallOf(q < 0 ? '' : url.slice(q + 1));
			// handle's cross-site read check looks at these two headers: only handle answers them
			if (!call || req.headers.origin !== undefined || req.headers['sec-fetch-site'] !== undefined)
				return false;
			// a principal that is not a viewer goes on: tRPC words the refusal (UNAUTHORIZED / FORBIDDEN)
			return answer(res, authorization, (principal) =>
				hasRole(principal, 'viewer')
					? send(
							res,
							200,
							'application/json',
							currentSnapshotTrpc(services, call === 'batch'),
							TRPC_HEADERS
						)
					: next()
			);
		}
		if (path !== '/api/vm/health' && path !== '/metrics') return false;
		return answer(res, authorization, async (principal) => {
			if (!principal)
				return send(
					res,
					UNAUTHENTICATED.status,
					UNAUTHENTICATED.headers['content-type'],
					UNAUTHENTICATED.body,
					UNAUTHENTICATED.headers
				);
			if (path === '/api/vm/health')
				return send(res, 200, 'application/json', currentSnapshotJson(services));
			send(res, 200, services.metrics.contentType, await services.metrics.metrics());
		});
	};

	/** Authenticates the bearer token, then `reply`; a throw is a 500 (or a dropped socket once the headers went out). */
	function answer(
		res: ServerResponse,
		authorization: string,
		reply: (principal: Principal | null) => void | Promise<void>
	): true {
		void (async () => {
			try {
				await reply(await services.auth.authenticate({ authorization, sessionId: undefined }));
			} catch (err) {
				if (!res.headersSent)
					send(res, 500, 'application/json', JSON.stringify({ error: 'internal error' }));
				else res.destroy(err as Error);
			}
		})();
		return true;
	}
}

const KEY = Symbol.for('vmwarden.fastLane');

/** hooks.server.ts init publishes the lane; server.js (outside the bundle) picks it up. */
export function publishFastLane(lane: FastLane) {
	(globalThis as Record<symbol, unknown>)[KEY] = lane;
	// server.js sets these on every answer, static files under /_app/ included (issue 21 item 9)
	(globalThis as Record<symbol, unknown>)[Symbol.for('vmwarden.securityHeaders')] =
		SECURITY_HEADERS;
}
