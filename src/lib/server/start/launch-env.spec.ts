// server.js MALLOC_ENV is read by glibc only at process start, so every way vmwarden is started
// sets it itself: npm start, the Dockerfile, the systemd unit, and the test helper that the
// integration tests and the bench start the server with (decision 0016).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';

const text = (file: string) => readFileSync(file, 'utf8');
const value = /export const MALLOC_ENV = \{ MALLOC_ARENA_MAX: '(\d+)' \};/.exec(
	text('server.js')
)?.[1];

describe('MALLOC_ARENA_MAX in every way the server is started', () => {
	it('server.js names the value', () => {
		expect(value).toMatch(/^\d+$/);
	});

	it.each([
		[
			'package.json (npm start)',
			() => JSON.parse(text('package.json')).scripts.start,
			(v: string) => `MALLOC_ARENA_MAX=\${MALLOC_ARENA_MAX:-${v}} node scripts/start.js`
		],
		['Dockerfile', () => text('Dockerfile'), (v: string) => `    MALLOC_ARENA_MAX=${v} \\`],
		[
			'deploy/vmwarden.service',
			() => text('deploy/vmwarden.service'),
			(v: string) => `\nEnvironment=MALLOC_ARENA_MAX=${v}\n`
		],
		[
			'tests/helpers/server.ts',
			() => text('tests/helpers/server.ts'),
			(v: string) => `MALLOC_ARENA_MAX: '${v}',`
		]
	])('%s sets it to the same value', (_name, read, expected) => {
		expect(read()).toContain(expected(value!));
	});
});
