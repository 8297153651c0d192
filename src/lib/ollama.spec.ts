import { describe, expect, it } from 'vitest';
import { displayName, formatCountdown } from './ollama';
import { expiresIn } from './server/ollama/panel';

describe('formatCountdown', () => {
	it.each([
		[null, '—'],
		[0, '0:00'],
		[4_000, '0:04'],
		[245_000, '4:05'],
		[3_723_000, '1:02:03'],
		[599_600, '10:00'] // rounds to the nearest second
	])('%j ms -> %s', (ms, text) => expect(formatCountdown(ms)).toBe(text));
});

describe('displayName', () => {
	it.each([
		['nomic-embed-text:latest', 'nomic-embed-text'],
		['llama3.2:3b', 'llama3.2:3b'],
		['library/latest', 'library/latest']
	])('%s -> %s', (n, d) => expect(displayName(n)).toBe(d));
});

describe('expiresIn', () => {
	const now = Date.parse('2026-05-27T14:00:31.118Z');
	it.each([
		// api-ps.loaded.json expires 5 min after this `now`
		['2026-05-27T14:05:31.118812345Z', 300_000],
		['2026-05-27T13:00:00Z', 0],
		// keep_alive -1: Ollama answers a date centuries away
		['2318-08-29T14:00:00Z', null],
		[null, null],
		['not a date', null]
	])('%j -> %j', (at, ms) => expect(expiresIn(at, now)).toBe(ms));
});
