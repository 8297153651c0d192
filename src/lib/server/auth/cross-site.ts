// Request guards against other sites driving the app with the operator's cookie (DESIGN
// decision 8): mutations only as same-origin JSON POSTs, tRPC reads only from this origin.

/**
 * State changes come only as POST with a JSON body from this origin (DESIGN decision 8).
 * Returns the reason for refusing, or null when the request may proceed.
 */
export function refuseCrossSiteMutation(
	request: Request,
	url: URL,
	bearerAuthenticated = false
): string | null {
	if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS')
		return null;
	if (request.method !== 'POST') return `method ${request.method} is not allowed`;
	const type = request.headers.get('content-type')?.split(';')[0].trim().toLowerCase();
	if (type !== 'application/json') return 'mutations need Content-Type: application/json';
	const site = request.headers.get('sec-fetch-site');
	if (site && site !== 'same-origin' && site !== 'none')
		return `cross-site request refused (Sec-Fetch-Site: ${site})`;
	const origin = request.headers.get('origin');
	// Browsers always send Origin on POST; curl and scripts with the bearer token may not. Only
	// a token that actually authenticated waives it (not any Authorization header: `Basic junk`).
	// Hosts are compared, not schemes: without VMW_ORIGIN, adapter-node guesses https for
	// url.protocol even when the app is served over plain http.
	if (origin !== null && hostOf(origin) !== url.host)
		return `cross-origin request refused (Origin: ${origin})`;
	if (origin === null && !bearerAuthenticated) return 'missing Origin header';
	return null;
}

/**
 * A read (GET) of the tRPC endpoint, e.g. an SSE subscription, from another site: refused
 * when the browser says so (Sec-Fetch-Site) or sends a foreign Origin. Cookies are
 * SameSite=Strict already; this is the second lock.
 */
export function refuseCrossSiteRead(request: Request, url: URL): string | null {
	if (request.method !== 'GET' && request.method !== 'HEAD') return null;
	const site = request.headers.get('sec-fetch-site');
	if (site && site !== 'same-origin' && site !== 'none')
		return `cross-site request refused (Sec-Fetch-Site: ${site})`;
	const origin = request.headers.get('origin');
	if (origin !== null && hostOf(origin) !== url.host)
		return `cross-origin request refused (Origin: ${origin})`;
	return null;
}

function hostOf(origin: string) {
	try {
		return new URL(origin).host;
	} catch {
		return null;
	}
}

/** Cookies get `Secure` when the page was loaded over https (the browser's Origin tells). */
export function isSecureRequest(request: Request) {
	return request.headers.get('origin')?.startsWith('https://') ?? false;
}
