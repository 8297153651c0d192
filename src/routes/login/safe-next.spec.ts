import { describe, expect, it } from 'vitest';
import { safeNext } from './safe-next';

describe('safeNext', () => {
	it.each([
		['/vm', '/vm'],
		['/vm?x=1', '/vm?x=1'],
		[null, '/'],
		['', '/'],
		['https://evil.example/', '/'],
		['//evil.example', '/'],
		['/\\evil.example', '/'],
		['/login', '/'],
		['/setup', '/'],
		['/login?next=/x', '/'],
		// Tabs and newlines are dropped by URL parsers: "/\t/evil.example" is "//evil.example".
		['/\t/evil.example', '/'],
		['/\n/evil.example', '/'],
		['/%09/evil.example', '/%09/evil.example'],
		['/\r\n/evil.example', '/'],
		['/vm\\..\\x', '/'],
		['/./\t/evil.example', '/'],
		['/vm#cards', '/vm#cards'],
		['/a/../vm', '/vm']
	])('%s -> %s', (input, expected) => {
		expect(safeNext(input)).toBe(expected);
	});
});
