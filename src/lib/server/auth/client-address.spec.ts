import { describe, expect, it } from 'vitest';
import { createClientAddress, isLoopbackHost, parseTrustedProxies } from './client-address';

const h = (v: Record<string, string>) => new Headers(v);

describe('client address', () => {
	it('never reads a forwarded header without a trusted proxy list', () => {
		const addr = createClientAddress({ header: 'x-forwarded-for', trustedProxies: [] });
		expect(addr('127.0.0.1', h({ 'x-forwarded-for': '203.0.113.9' }))).toBe('127.0.0.1');
	});

	it('reads it only from a trusted proxy, taking the rightmost untrusted hop', () => {
		const addr = createClientAddress({
			header: 'x-forwarded-for',
			trustedProxies: ['127.0.0.1', '10.0.0.0/8']
		});
		// client forged "1.1.1.1"; Caddy appended the real peer 203.0.113.9, an inner proxy 10.1.2.3.
		expect(addr('127.0.0.1', h({ 'x-forwarded-for': '1.1.1.1, 203.0.113.9, 10.1.2.3' }))).toBe(
			'203.0.113.9'
		);
		expect(addr('::ffff:127.0.0.1', h({ 'x-forwarded-for': '203.0.113.9' }))).toBe('203.0.113.9');
		// From an untrusted peer the header is ignored.
		expect(addr('198.51.100.7', h({ 'x-forwarded-for': '203.0.113.9' }))).toBe('198.51.100.7');
		// Garbage in the header: the peer, not the garbage.
		expect(addr('127.0.0.1', h({ 'x-forwarded-for': 'not-an-ip' }))).toBe('127.0.0.1');
		expect(addr('127.0.0.1', h({}))).toBe('127.0.0.1');
	});

	it('a single-value header (X-Real-IP) works the same way', () => {
		const addr = createClientAddress({ header: 'X-Real-IP', trustedProxies: ['::1'] });
		expect(addr('::1', h({ 'x-real-ip': '2001:db8::5' }))).toBe('2001:db8::5');
		expect(addr('127.0.0.2', h({ 'x-real-ip': '2001:db8::5' }))).toBe('127.0.0.2');
	});

	it('refuses a proxy list entry that is not an address or CIDR', () => {
		expect(() => parseTrustedProxies(['caddy'])).toThrow(/not an IP/);
		expect(() => parseTrustedProxies(['10.0.0.0/33'])).toThrow(/prefix/);
	});
});

describe('Host check with auth off (DNS rebinding)', () => {
	it.each([
		['127.0.0.1:4004', null, true],
		['localhost:4004', null, true],
		['[::1]:4004', null, true],
		['127.1.2.3', null, true],
		['rebind.attacker.example', null, false],
		['rebind.attacker.example:4004', null, false],
		['localhost.attacker.example', null, false],
		['127.0.0.1.attacker.example', null, false],
		[null, null, false],
		['vm.example.com', 'vm.example.com', true],
		['other.example.com', 'vm.example.com', false]
	])('%s (origin host %s) -> %s', (host, origin, expected) => {
		expect(isLoopbackHost(host, origin)).toBe(expected);
	});
});
