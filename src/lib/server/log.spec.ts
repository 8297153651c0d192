import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, redactUrl } from './log';

describe('logger', () => {
	afterEach(() => vi.restoreAllMocks());

	it('never logs the parameters of a failed query (they can hold a password hash)', () => {
		const written: string[] = [];
		vi.spyOn(process.stderr, 'write').mockImplementation(
			(chunk) => (written.push(String(chunk)), true)
		);
		const cause = new Error(
			'Failed query: insert into "settings" ("key", "value") values (?, ?)\nparams: admin_password_hash,scrypt$16384$8$1$c2FsdA$aGFzaA'
		);
		createLogger('t').error('setup failed', { err: new Error('wrapped', { cause }) });
		const line = written.join('');
		expect(line).toContain('Failed query: insert into');
		expect(line).toContain('params: [redacted]');
		expect(line).not.toContain('scrypt$');
	});
});

describe('errors in log lines', () => {
	afterEach(() => vi.restoreAllMocks());
	it('carry no URL credentials, path or query (issue 21 item 3)', () => {
		const written: string[] = [];
		vi.spyOn(process.stderr, 'write').mockImplementation(
			(chunk) => (written.push(String(chunk)), true)
		);
		createLogger('t').warn('webhook failed', {
			err: new Error('send failed', {
				cause: new TypeError(
					'Request cannot be constructed from a URL that includes credentials: https://bot:pa55@hooks.example.com/services/KEY?token=t0k3n'
				)
			})
		});
		const line = written.join('');
		expect(line).toContain('https://hooks.example.com/…');
		for (const secret of ['pa55', 'KEY', 't0k3n']) expect(line).not.toContain(secret);
	});
});

describe('redactUrl', () => {
	it.each([
		['libsql://db.example.com?authToken=eyJsecret', 'libsql://db.example.com?authToken=redacted'],
		['https://user:hunter2@db.example.com/x', 'https://user:redacted@db.example.com/x'],
		['file:./data/vmwarden.db', 'file:./data/vmwarden.db']
	])('%s', (input, expected) => {
		expect(redactUrl(input)).toBe(expected);
	});
});
