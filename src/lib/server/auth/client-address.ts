// The client's address for throttling and the audit record. A forwarded header is read only
// when the request comes from a configured trusted proxy (VMW_TRUSTED_PROXIES): anyone else
// could write any address into it, and behind a proxy without it every client is the proxy.
import { BlockList, isIP } from 'node:net';

export interface ClientAddressOptions {
	/** lower-case header name, e.g. x-forwarded-for or x-real-ip; null = socket address only */
	header: string | null;
	/** addresses or CIDR ranges, e.g. 127.0.0.1, 10.0.0.0/8, ::1 */
	trustedProxies: string[];
}

/** ::ffff:1.2.3.4 (IPv4 on a dual-stack socket) is 1.2.3.4. */
export function normaliseAddress(address: string): string {
	const a = address.trim();
	const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
	return mapped ? mapped[1] : a.toLowerCase();
}

/** A BlockList of the trusted proxies; throws on an entry that is not an address or CIDR. */
export function parseTrustedProxies(entries: string[]): BlockList {
	const list = new BlockList();
	for (const entry of entries) {
		const [addr, prefix] = entry.split('/');
		const family = isIP(addr);
		if (!family) throw new Error(`"${entry}" is not an IP address or CIDR range`);
		const type = family === 4 ? 'ipv4' : 'ipv6';
		if (prefix === undefined) list.addAddress(addr, type);
		else {
			const bits = Number(prefix);
			if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128))
				throw new Error(`"${entry}" has a bad prefix length`);
			list.addSubnet(addr, bits, type);
		}
	}
	return list;
}

export function createClientAddress(opts: ClientAddressOptions) {
	const trusted = parseTrustedProxies(opts.trustedProxies);
	const isTrusted = (address: string) => {
		const family = isIP(address);
		return family !== 0 && trusted.check(address, family === 4 ? 'ipv4' : 'ipv6');
	};
	const header = opts.header?.toLowerCase() ?? null;

	return function clientAddress(socketAddress: string, headers: Headers): string {
		const peer = normaliseAddress(socketAddress);
		if (!header || opts.trustedProxies.length === 0 || !isTrusted(peer)) return peer;
		const value = headers.get(header);
		if (!value) return peer;
		// X-Forwarded-For is appended to by each proxy: the client is the rightmost entry that
		// is not one of our proxies (entries left of it may be forged by the client).
		const hops = value.split(',').map(normaliseAddress).filter(Boolean);
		for (let i = hops.length - 1; i >= 0; i--) {
			if (!isIP(hops[i])) return peer;
			if (!isTrusted(hops[i])) return hops[i];
		}
		return hops[0] ?? peer;
	};
}

/** With auth off, only these Host values are served (a DNS-rebinding page has its own name). */
export function isLoopbackHost(hostHeader: string | null, originHost: string | null): boolean {
	if (!hostHeader) return false;
	const host = hostHeader.trim().toLowerCase();
	if (originHost && host === originHost.toLowerCase()) return true;
	const name = host.startsWith('[')
		? host.slice(0, host.indexOf(']') + 1)
		: host.replace(/:\d+$/, '');
	return name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}
