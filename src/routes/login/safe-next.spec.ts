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
		['/setup', '/']
	])('%s -> %s', (input, expected) => {
		expect(safeNext(input)).toBe(expected);
	});
});
