import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { freshDb } from '../../../../tests/helpers/db';
import { createAuth, refuseCrossSiteMutation, type AuthOptions } from './auth';
import type { Logger } from '../log';

function captureLog() {
	const lines: string[] = [];
	const rec = (msg: string) => void lines.push(msg);
	const log: Logger = { debug: rec, info: rec, warn: rec, error: rec };
	return { log, lines };
}

describe('auth', () => {
	let ctx: Awaited<ReturnType<typeof freshDb>>;
	beforeEach(async () => (ctx = await freshDb()));
	afterEach(() => ctx.cleanup());

	const options = (over: Partial<AuthOptions> = {}): AuthOptions => ({
		db: ctx.db,
		enabled: true,
		apiToken: null,
		adminPassword: null,
		sessionTtlMs: 3_600_000,
		dataDir: ctx.dir,
		log: captureLog().log,
		...over
	});

	it('generates a read-only API token once, keeps it 0600 in the data dir, and accepts it as a viewer', async () => {
		const auth = await createAuth(options());
		const file = path.join(ctx.dir, 'api-token');
		expect((await readFile(file, 'utf8')).trim()).toBe(auth.apiToken);
		expect((await stat(file)).mode & 0o777).toBe(0o600);
		expect((await createAuth(options())).apiToken).toBe(auth.apiToken);

		expect(await auth.authenticate({ authorization: `Bearer ${auth.apiToken}`, sessionId: undefined })).toEqual({ role: 'viewer', via: 'token' });
		expect(await auth.authenticate({ authorization: 'Bearer wrong', sessionId: undefined })).toBeNull();
		expect(await auth.authenticate({ authorization: null, sessionId: undefined })).toBeNull();
	});

	it('without a password, prints a one-time setup token; only that token sets the password', async () => {
		const { log, lines } = captureLog();
		const auth = await createAuth(options({ log }));
		expect(await auth.state()).toBe('needs-setup');
		const token = /setup token: (\S+)/.exec(lines.join('\n'))?.[1];
		expect(token).toBeTruthy();

		expect((await auth.login({ password: 'anything-at-all', clientKey: 'a' })).ok).toBe(false);
		expect(await auth.completeSetup({ token: 'guess', password: 'correct horse battery', clientKey: 'a' })).toMatchObject({ ok: false });
		const done = await auth.completeSetup({ token: token!, password: 'correct horse battery', clientKey: 'a' });
		expect(done.ok).toBe(true);
		// Spent: a second setup is refused, the password now logs in.
		expect((await auth.completeSetup({ token: token!, password: 'another long password', clientKey: 'a' })).ok).toBe(false);
		expect(await auth.state()).toBe('ready');
		const login = await auth.login({ password: 'correct horse battery', clientKey: 'b' });
		expect(login.ok).toBe(true);
		if (login.ok) expect(await auth.authenticate({ authorization: null, sessionId: login.session.id })).toEqual({ role: 'admin', via: 'session' });
	});

	it('a lost setup race answers "setup is already done", never SQL or the hash (in the result or the log)', async () => {
		const { log, lines } = captureLog();
		const auth = await createAuth(options({ log }));
		const token = /setup token: (\S+)/.exec(lines.join('\n'))![1];
		const results = await Promise.all(Array.from({ length: 10 }, (_, i) => auth.completeSetup({ token, password: `racing password ${i}`, clientKey: `r${i}` })));
		expect(results.filter((r) => r.ok)).toHaveLength(1);
		const losers = results.filter((r) => !r.ok);
		expect(losers).toHaveLength(9);
		for (const r of losers) expect(r).toEqual({ ok: false, code: 'BAD_REQUEST', error: 'Setup is already done: log in with the admin password.' });
		expect(lines.join('\n')).not.toMatch(/scrypt\$|INSERT|settings/);
	});

	it('sessions expire and logout ends them', async () => {
		let now = 1_000_000;
		const auth = await createAuth(options({ adminPassword: 'configured password', now: () => now }));
		const login = await auth.login({ password: 'configured password', clientKey: 'c' });
		if (!login.ok) throw new Error('login failed');
		expect(await auth.authenticate({ authorization: null, sessionId: login.session.id })).not.toBeNull();
		now += 3_600_001;
		expect(await auth.authenticate({ authorization: null, sessionId: login.session.id })).toBeNull();

		now = 1_000_000;
		const again = await auth.login({ password: 'configured password', clientKey: 'c' });
		if (!again.ok) throw new Error('login failed');
		await auth.logout(again.session.id);
		expect(await auth.authenticate({ authorization: null, sessionId: again.session.id })).toBeNull();
	});

	it('throttles a client after repeated wrong passwords', async () => {
		const auth = await createAuth(options({ adminPassword: 'configured password' }));
		for (let i = 0; i < 5; i++) await auth.login({ password: 'nope', clientKey: 'x' });
		expect(await auth.login({ password: 'configured password', clientKey: 'x' })).toMatchObject({ ok: false, error: expect.stringMatching(/Too many/) });
		expect((await auth.login({ password: 'configured password', clientKey: 'y' })).ok).toBe(true);
	});

	it('with auth off, everyone is admin (config allows it only on loopback)', async () => {
		const auth = await createAuth(options({ enabled: false }));
		expect(await auth.authenticate({ authorization: null, sessionId: undefined })).toEqual({ role: 'admin', via: 'auth-off' });
	});
});

describe('refuseCrossSiteMutation', () => {
	const url = new URL('http://vm.example:4004/api/trpc/auth.logout');
	const post = (headers: Record<string, string>) => new Request(url, { method: 'POST', headers, body: '{}' });

	it.each([
		['same-origin JSON', { 'content-type': 'application/json', origin: 'http://vm.example:4004', 'sec-fetch-site': 'same-origin' }, null],
		['form post', { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://vm.example:4004' }, /application\/json/],
		['text/plain (simple CORS request)', { 'content-type': 'text/plain', origin: 'http://vm.example:4004' }, /application\/json/],
		['other origin', { 'content-type': 'application/json', origin: 'http://evil.example' }, /cross-origin/],
		['cross-site fetch metadata', { 'content-type': 'application/json', origin: 'http://vm.example:4004', 'sec-fetch-site': 'cross-site' }, /cross-site/],
		['no Origin and no token', { 'content-type': 'application/json' }, /Origin/],
		['script with bearer token, no Origin', { 'content-type': 'application/json', authorization: 'Bearer t' }, null]
	])('%s', (_name, headers, expected) => {
		const r = refuseCrossSiteMutation(post(headers), url);
		if (expected === null) expect(r).toBeNull();
		else expect(r).toMatch(expected);
	});

	it('lets reads through and refuses other methods', () => {
		expect(refuseCrossSiteMutation(new Request(url), url)).toBeNull();
		expect(refuseCrossSiteMutation(new Request(url, { method: 'DELETE' }), url)).toMatch(/DELETE/);
	});
});

describe('refuseCrossSiteMutation behind adapter-node without VMW_ORIGIN', () => {
	it('compares hosts, since the adapter guesses https for a plain-http request', () => {
		const guessed = new URL('https://127.0.0.1:4004/api/trpc/auth.login');
		const req = (origin: string) => new Request(guessed, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: '{}' });
		expect(refuseCrossSiteMutation(req('http://127.0.0.1:4004'), guessed)).toBeNull();
		expect(refuseCrossSiteMutation(req('http://127.0.0.1:4005'), guessed)).toMatch(/cross-origin/);
		expect(refuseCrossSiteMutation(req('null'), guessed)).toMatch(/cross-origin/);
	});
});
