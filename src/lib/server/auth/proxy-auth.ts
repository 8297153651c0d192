// Trusted reverse-proxy login (issue 16 part 3): Caddy forward_auth, Authelia or oauth2-proxy
// authenticate the user and pass its name and groups in headers. Those headers are believed
// only from VMW_TRUSTED_PROXIES; groups map to roles; no header or no mapped group = no role.
import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { parseTrustedProxies, normaliseAddress } from './client-address';
import { hasRole, type Principal, type Role } from './auth';

export interface ProxyAuthOptions {
	/** lower-case header with the user name, e.g. remote-user */
	userHeader: string;
	/** lower-case header with comma-separated groups, e.g. remote-groups */
	groupsHeader: string;
	/** group -> role */
	groupRoles: Record<string, Role>;
	trustedProxies: string[];
	/**
	 * VMW_PROXY_SECRET: when set, the proxy must send it in PROXY_SECRET_HEADER, so that a local
	 * process talking to the port directly (its address is a trusted loopback one) cannot name a user.
	 */
	secret?: string | null;
}

/** The header a proxy adds with VMW_PROXY_SECRET (Caddy: `header_up X-Vmwarden-Proxy-Secret {env.VMW_PROXY_SECRET}`). */
export const PROXY_SECRET_HEADER = 'x-vmwarden-proxy-secret';

function sameSecret(given: string | null, secret: string): boolean {
	if (given === null) return false;
	const a = Buffer.from(given);
	const b = Buffer.from(secret);
	return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether a trusted-proxy entry covers a loopback address (any local process can reach the port from there). */
function trustsLoopback(trustedProxies: string[]): boolean {
	const list = parseTrustedProxies(trustedProxies);
	return list.check('127.0.0.1', 'ipv4') || list.check('::1', 'ipv6');
}

/** The start-up warning for proxy login that trusts loopback without VMW_PROXY_SECRET; null when safe. */
export function proxyLoginWarning(
	opts: Pick<ProxyAuthOptions, 'trustedProxies' | 'secret'>
): string | null {
	if (opts.secret || !trustsLoopback(opts.trustedProxies)) return null;
	return 'proxy login trusts a loopback address without VMW_PROXY_SECRET: any local process can send the user header to the port and log in with any role; set VMW_PROXY_SECRET and have the proxy send it (README, "Behind Caddy")';
}

/** "admins:admin, ops:operator" -> { admins: 'admin', ops: 'operator' }; throws on a bad entry. */
export function parseGroupRoles(spec: string[]): Record<string, Role> {
	const out: Record<string, Role> = {};
	for (const entry of spec) {
		const [group, role] = entry.split(':').map((x) => x.trim());
		if (!group || !['viewer', 'operator', 'admin'].includes(role))
			throw new Error(`"${entry}" is not group:viewer|operator|admin`);
		out[group] = role as Role;
	}
	return out;
}

export function createProxyAuth(opts: ProxyAuthOptions) {
	const trusted = parseTrustedProxies(opts.trustedProxies);
	/** The proxy's principal; undefined when this request is not from a trusted proxy or has no user header. */
	return function proxyPrincipal(
		socketAddress: string,
		headers: Headers
	): Principal | null | undefined {
		const peer = normaliseAddress(socketAddress);
		const family = isIP(peer);
		if (!family || !trusted.check(peer, family === 4 ? 'ipv4' : 'ipv6')) return undefined;
		if (opts.secret && !sameSecret(headers.get(PROXY_SECRET_HEADER), opts.secret)) return undefined;
		const user = headers.get(opts.userHeader)?.trim();
		if (!user) return undefined;
		let best: Role | null = null;
		for (const g of (headers.get(opts.groupsHeader) ?? '').split(',').map((x) => x.trim())) {
			const role = opts.groupRoles[g];
			if (role && (best === null || hasRole({ role, via: 'proxy' }, best))) best = role;
		}
		// A user the proxy knows but in no mapped group gets no role at all.
		return best ? { role: best, via: 'proxy', userName: `proxy:${user.slice(0, 64)}` } : null;
	};
}
