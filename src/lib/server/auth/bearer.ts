// The bearer-token rule every front door shares: hooks.server.ts `handle` and the fast lane
// (fast-lane.ts) decide a Bearer request's principal and word its 401 through this module, so
// they cannot disagree.

/**
 * The token of an `Authorization: Bearer …` header (scheme case-insensitive, RFC 7235); null
 * otherwise. When it is not null the token alone decides who the request is (Auth.authenticate:
 * a wrong token is refused even beside a valid session cookie), which is what lets the fast lane
 * answer such a request without looking at cookies.
 */
export function bearerToken(authorization: string | null | undefined): string | null {
	const m = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
	return m ? m[1] : null;
}

/** The 401 for a protected API path (not a page) without a principal. */
export const UNAUTHENTICATED = {
	status: 401,
	body: JSON.stringify({
		error: 'authentication required: log in or send Authorization: Bearer <API token>'
	}),
	headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="vmwarden"' }
} as const;

/** UNAUTHENTICATED as a web Response (hooks.server.ts). */
export function unauthenticatedResponse(): Response {
	return new Response(UNAUTHENTICATED.body, {
		status: UNAUTHENTICATED.status,
		headers: {
			...UNAUTHENTICATED.headers,
			'content-length': String(Buffer.byteLength(UNAUTHENTICATED.body))
		}
	});
}
