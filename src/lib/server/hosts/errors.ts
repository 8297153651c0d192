// Plain words for why a host could not be reached: the admin page's "Test connection" answer and
// the hub's `unavailable` reasons. Walks the error's cause chain (fetch wraps the socket error in
// "fetch failed", tRPC and the Docker adapter wrap that again) for the code that says what happened.

const TLS_UNTRUSTED = new Set([
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'UNABLE_TO_GET_ISSUER_CERT',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'CERT_SIGNATURE_FAILURE',
	'CERT_UNTRUSTED'
]);

interface Link {
	name?: string;
	code?: string;
	message?: string;
	statusCode?: number;
	timeoutMs?: number;
	hostId?: string;
	meta?: { response?: { status?: number } };
	data?: { httpStatus?: number };
	cause?: unknown;
}

function chain(err: unknown): Link[] {
	const out: Link[] = [];
	let cur: unknown = err;
	for (let i = 0; i < 8 && cur && typeof cur === 'object'; i++) {
		out.push(cur as Link);
		cur = (cur as Link).cause;
	}
	return out;
}

export interface FailureContext {
	/** what was being reached: 'vmwarden', 'Docker Engine', 'node_exporter' */
	what: string;
	/** the URL or Docker host (never with credentials) */
	where: string;
	timeoutMs: number;
}

/** One sentence: what went wrong reaching `where`, and what to check. Never includes credentials. */
export function describeFailure(err: unknown, { what, where, timeoutMs }: FailureContext): string {
	const links = chain(err);
	const codes = links.map((l) => l.code).filter((c): c is string => typeof c === 'string');
	const has = (...c: string[]) => codes.some((x) => c.includes(x));
	const at = safeWhere(where);
	if (
		links.some((l) => l.name === 'HostTimeoutError' || l.name === 'TimeoutError') ||
		has('UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT') ||
		/within \d+ ms/.test(links[0]?.message ?? '')
	)
		return `no answer from ${at} within ${timeoutMs} ms (is the ${what} running, and is the address reachable from the hub?)`;
	if (has('ECONNREFUSED'))
		return `connection refused by ${at}: nothing listens there (is the ${what} running, and is the port right?)`;
	if (has('ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME'))
		return `the name in ${at} does not resolve (check the spelling, or use an IP address)`;
	if (has('EHOSTUNREACH', 'ENETUNREACH'))
		return `${at} is unreachable from the hub (no route to that address)`;
	if (has('ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE'))
		return `${at} closed the connection (a TLS or protocol mismatch, a refused client certificate, or a proxy in between?)`;
	if (has('ENOENT', 'EACCES'))
		return `cannot open ${at}: ${has('EACCES') ? 'permission denied' : 'no such socket'}`;
	if (links.some((l) => /Host denied \(verification failed\)/.test(l.message ?? '')))
		return `SSH: the host key of ${at} is not the pinned one (if the server was reinstalled, check its new key and pin it again)`;
	if (links.some((l) => /All configured authentication methods failed/.test(l.message ?? '')))
		return `SSH: ${at} refused the private key (is its public key in that user's authorized_keys?)`;
	if (has('CERT_HAS_EXPIRED')) return `TLS: the certificate of ${at} has expired`;
	if (has('ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH'))
		return `TLS: the certificate of ${at} is not for that name (use the name the certificate was issued for)`;
	if (codes.some((c) => TLS_UNTRUSTED.has(c)))
		return `TLS: the certificate of ${at} is not signed by a trusted CA (paste its CA certificate, PEM, to pin it)`;
	if (codes.some((c) => c.includes('CERTIFICATE_REQUIRED')))
		return `TLS: ${at} asks for a client certificate: give the client certificate and key (signed by a CA it trusts)`;
	if (
		codes.some((c) =>
			/ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|CERTIFICATE_EXPIRED)/.test(
				c
			)
		)
	)
		return `TLS: ${at} refused the client certificate (is it signed by a CA it trusts, and still valid?)`;
	if (has('ERR_SSL_WRONG_VERSION_NUMBER', 'EPROTO') || codes.some((c) => c.startsWith('ERR_SSL_')))
		return `TLS handshake with ${at} failed (does it speak ${at.startsWith('https') || at.startsWith('tcp') ? 'TLS' : 'plain HTTP'} on that port?)`;
	if (links.some((l) => /redirect/i.test(l.message ?? '')))
		return `${at} answered with a redirect: give the final URL (https:// rather than http://?)`;
	const status = links
		.map((l) => l.meta?.response?.status ?? l.data?.httpStatus ?? l.statusCode)
		.find((s) => typeof s === 'number');
	if (status === 401 || status === 403) return `${at} refused the credentials (HTTP ${status})`;
	if (status === 404)
		return `${at} has no ${what} API there (HTTP 404): check the URL, including any path prefix`;
	if (typeof status === 'number' && status >= 400) return `${at} answered HTTP ${status}`;
	if (
		links.some(
			(l) =>
				l instanceof SyntaxError ||
				/JSON|Unexpected token|Unable to transform response/i.test(l.message ?? '')
		)
	)
		return `${at} answered, but not as ${what} (not its API): check the URL`;
	// Anything else: never the message itself. It can be the remote's own words (a tRPC error body
	// from whatever answers at that URL), and "test connection" must not read internal services
	// out for the admin page (issue 21 item 6). Our own local error codes are safe to name.
	if (links.some((l) => l.name === 'TRPCClientError'))
		return `${at} answered, but not as ${what} (not its API): check the URL`;
	const code = codes.find((c) => /^[A-Z][A-Z0-9_]{1,40}$/.test(c));
	return `could not reach ${at}${code ? ` (${code})` : ''}`;
}

/** The address without any user info (a URL may carry user:password). */
function safeWhere(where: string): string {
	try {
		const u = new URL(where);
		if (u.password) u.password = '';
		if (u.protocol === 'ssh:') return where.replace(/:[^:@/]*@/, '@');
		return u.href.replace(/\/$/, '');
	} catch {
		return where;
	}
}
