import { describe, expect, it } from 'vitest';
import { formatEntry, parseSince } from './commands/timeline';
import { main } from './vmwarden';

describe('vmwarden timeline', () => {
	it.each([
		['90m', 90 * 60_000],
		['2h', 7_200_000],
		['7d', 7 * 86_400_000],
		['31d', 31 * 86_400_000],
		['32d', null],
		['0h', null],
		['2', null],
		['2 h', null],
		['-2h', null]
	])('--since %s -> %s ms', (text, ms) => {
		expect(parseSince(text)).toBe(ms);
	});

	it('prints one line per entry: UTC minute, severity, kind, title, detail', () => {
		const line = formatEntry({
			ts: Date.UTC(2026, 11, 7, 3, 12),
			source: 'health',
			id: 1,
			kind: 'health',
			container: null,
			stack: null,
			severity: 'WARN',
			title: 'Memory pressure OK → WARN',
			detail: 'score 15/20 (was 20)',
			href: '/vm?focus=memory'
		});
		expect(line).toBe(
			'  2026-12-07 03:12Z  WARN  health    Memory pressure OK → WARN  — score 15/20 (was 20)'
		);
	});

	it('refuses a bad --since, --kind or --limit before calling anything (64); an unreachable server is 3', async () => {
		const out: string[] = [];
		const err: string[] = [];
		const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
		const signal = new AbortController().signal;
		expect(
			await main(['timeline', '--since', '2 hours'], { VMW_URL: 'http://127.0.0.1:1' }, io, signal)
		).toBe(64);
		expect(
			await main(
				['timeline', '--kind', 'alert,bogus'],
				{ VMW_URL: 'http://127.0.0.1:1' },
				io,
				signal
			)
		).toBe(64);
		expect(err.at(-1)).toMatch(/unknown kind bogus/);
		expect(
			await main(['timeline', '--limit', '0'], { VMW_URL: 'http://127.0.0.1:1' }, io, signal)
		).toBe(64);
		await main([], {}, io, signal);
		expect(out.join('\n')).toMatch(/^ {2}timeline +what changed/m);
		expect(
			await main(['timeline', '--since', '2h', '--url', 'http://127.0.0.1:1'], {}, io, signal)
		).toBe(3);
		expect(err.at(-1)).toMatch(/^vmwarden timeline: http:\/\/127\.0\.0\.1:1: /);
	});
});
