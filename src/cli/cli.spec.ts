import { describe, expect, it } from 'vitest';
import { parseArgs } from './context';
import { exitCodeFor } from './commands/health';
import { main } from './vmwarden';

describe('parseArgs', () => {
	it('value flags take the next argument or =value; other flags are true; the rest is positional', () => {
		expect(
			parseArgs(
				['--count', '3', '--json', 'x', '--url=http://h:1', '--', '--not-a-flag'],
				['count', 'url']
			)
		).toEqual({
			flags: { count: '3', json: true, url: 'http://h:1' },
			args: ['x', '--not-a-flag']
		});
	});
});

describe('exitCodeFor', () => {
	it.each([
		['OK', 0],
		['WARN', 1],
		['CRIT', 2],
		['UNKNOWN', 3]
	] as const)('%s -> %i, as scripts/vm-health-check.sh', (status, code) => {
		expect(exitCodeFor(status)).toBe(code);
	});
});

describe('main', () => {
	const io = () => {
		const out: string[] = [];
		const err: string[] = [];
		return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
	};
	const signal = new AbortController().signal;

	it('without a command prints usage listing every command and exits 64', async () => {
		const t = io();
		expect(await main([], {}, t.io, signal)).toBe(64);
		expect(t.out.join('\n')).toMatch(/^usage: vmwarden <command>/);
		expect(t.out.join('\n')).toMatch(/^ {2}health +the host/m);
		expect(t.out.join('\n')).toMatch(/^ {2}watch +follow/m);
	});

	it('refuses an unknown flag, a bad --count and a bad URL before calling anything (64)', async () => {
		const t = io();
		expect(await main(['health', '--jsn'], {}, t.io, signal)).toBe(64);
		expect(t.err).toEqual(['vmwarden health: unknown flag --jsn']);
		expect(
			await main(['watch', '--count', '0'], { VMW_URL: 'http://127.0.0.1:1' }, t.io, signal)
		).toBe(64);
		expect(await main(['health'], { VMW_URL: 'not a url' }, t.io, signal)).toBe(64);
	});

	it('watch: an unreachable server is exit 3 at once, not a silent retry loop', async () => {
		const t = io();
		expect(await main(['watch', '--url', 'http://127.0.0.1:1'], {}, t.io, signal)).toBe(3);
		expect(t.err[0]).toMatch(/^watch: /);
	});

	it('an unreachable server is exit 3 (UNKNOWN) with the URL in the message', async () => {
		const t = io();
		// port 1 on loopback: nothing listens there, the connection is refused at once
		expect(await main(['health', '--url', 'http://127.0.0.1:1'], {}, t.io, signal)).toBe(3);
		expect(t.err[0]).toMatch(/^vmwarden health: http:\/\/127\.0\.0\.1:1: /);
	});
});
