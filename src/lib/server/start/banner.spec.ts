import { describe, expect, it } from 'vitest';
import { localUrl, startBanner } from './banner';

describe('localUrl', () => {
	it.each([
		// [host, port, origin, expected]: a wildcard bind is opened through loopback; IPv6 needs brackets
		['0.0.0.0', 4004, null, 'http://localhost:4004'],
		['::', 4004, null, 'http://localhost:4004'],
		['127.0.0.1', 8080, null, 'http://127.0.0.1:8080'],
		['::1', 4004, null, 'http://[::1]:4004'],
		['0.0.0.0', 4004, 'https://devops.example.com/', 'https://devops.example.com']
	])('%s:%i origin %s -> %s', (host, port, origin, expected) => {
		expect(localUrl({ host, port, origin })).toBe(expected);
	});
});

describe('startBanner', () => {
	const base = {
		host: '127.0.0.1',
		port: 4004,
		origin: null,
		apiTokenFile: '/srv/vmw/data/api-token',
		setupToken: null,
		authEnabled: true
	};

	it('names the URL and the token file with a curl line that reads it', () => {
		expect(startBanner(base)).toBe(
			'vmwarden is running: http://127.0.0.1:4004\n' +
				'  read-only API token: /srv/vmw/data/api-token\n' +
				'    curl -H "Authorization: Bearer $(cat /srv/vmw/data/api-token)" http://127.0.0.1:4004/api/vm/health\n'
		);
	});

	it('on first start prints the setup URL and the token beside it, never in the URL', () => {
		const text = startBanner({ ...base, setupToken: 'tok-123' });
		expect(text).toContain(
			'open http://127.0.0.1:4004/setup and paste this one-time setup token:\n    tok-123\n'
		);
		expect(text).not.toMatch(/setup\?token=/);
	});

	it('says where the token comes from when VMW_API_TOKEN sets it, and warns about auth off and a wildcard bind', () => {
		expect(startBanner({ ...base, apiTokenFile: null })).toContain(
			'read-only API token: the value of VMW_API_TOKEN'
		);
		const off = startBanner({ ...base, host: '0.0.0.0', authEnabled: false });
		expect(off).toContain('auth is OFF');
		expect(off).toContain('listening on every interface, port 4004');
		expect(off).not.toContain('API token');
	});
});
