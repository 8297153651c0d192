// Trusted reverse-proxy login (issue 16 part 3): Caddy forward_auth, Authelia or oauth2-proxy
// authenticate the user and pass its name and groups in headers. Those headers are believed
// only from VMW_TRUSTED_PROXIES; groups map to roles; no header or no mapped group = no role.
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
}

/** "admins:admin, ops:operator" -> { admins: 'admin', ops: 'operator' }; throws on a bad entry. */
export function parseGroupRoles(spec: string[]): Record<string, Role> {
	const out: Record<string, Role> = {};
	for (const entry of spec) {
		const [group, role] = entry.split(':').map((x) => x.trim());
		if (!group || !['viewer', 'operator', 'admin'].includes(role)) throw new Error(`"${entry}" is not group:viewer|operator|admin`);
		out[group] = role as Role;
	}
	return out;
}

export function createProxyAuth(opts: ProxyAuthOptions) {
	const trusted = parseTrustedProxies(opts.trustedProxies);
	/** The proxy's principal; undefined when this request is not from a trusted proxy or has no user header. */
	return function proxyPrincipal(socketAddress: string, headers: Headers): Principal | null | undefined {
		const peer = normaliseAddress(socketAddress);
		const family = isIP(peer);
		if (!family || !trusted.check(peer, family === 4 ? 'ipv4' : 'ipv6')) return undefined;
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
