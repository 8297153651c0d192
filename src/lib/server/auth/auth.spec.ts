import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readFile, stat } from 'node:fs/promises';
import { randomBytes, scryptSync } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { users } from '../db/schema';
import path from 'node:path';
import { freshDb } from '../../../../tests/helpers/db';
import {
	bearerToken,
	createAuth,
	refuseCrossSiteMutation,
	refuseCrossSiteRead,
	type AuthOptions
} from './auth';
import type { Logger } from '../log';
import { SCRYPT_TEST_TIMEOUT_MS } from '../../../../tests/helpers/timeouts';

function captureLog() {
	const lines: string[] = [];
	const rec = (msg: string) => void lines.push(msg);
	const log: Logger = { debug: rec, info: rec, warn: rec, error: rec };
	return { log, lines };
}

describe('auth', { timeout: SCRYPT_TEST_TIMEOUT_MS }, () => {
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

		expect(
			await auth.authenticate({ authorization: `Bearer ${auth.apiToken}`, sessionId: undefined })
		).toEqual({ role: 'viewer', via: 'token' });
		expect(
			await auth.authenticate({ authorization: 'Bearer wrong', sessionId: undefined })
		).toBeNull();
		expect(await auth.authenticate({ authorization: null, sessionId: undefined })).toBeNull();
	});

	it('a hash made with the old scrypt parameters (N=16384) is rehashed at N=32768 on a good check, and the sessions stay', async () => {
		const password = 'configured password';
		// The old format, made here with node:crypto directly (what passwords.ts wrote before).
		const oldHash = () => {
			const salt = randomBytes(16);
			return [
				'scrypt',
				16384,
				8,
				1,
				salt.toString('base64url'),
				scryptSync(password, salt, 32, { N: 16384, r: 8, p: 1 }).toString('base64url')
			].join('$');
		};
		const storedHash = async () =>
			(await ctx.db.select().from(users).where(eq(users.name, 'admin')))[0].passwordHash;
		const first = await createAuth(options({ adminPassword: password }));
		const login = await first.login({ password, clientKey: 'c' });
		if (!login.ok) throw new Error('login failed');
		const session = { authorization: null, sessionId: login.session.id };

		// start-up with VMW_ADMIN_PASSWORD: same password, old hash -> upgraded, session kept
		await ctx.db.update(users).set({ passwordHash: oldHash() }).where(eq(users.name, 'admin'));
		expect(await storedHash()).toMatch(/^scrypt\$16384\$8\$1\$/);
		const second = await createAuth(options({ adminPassword: password }));
		expect(await storedHash()).toMatch(/^scrypt\$32768\$8\$1\$/);
		expect(await second.authenticate(session)).toMatchObject({ role: 'admin', via: 'session' });

		// a login with the old hash: upgraded, and the old password still logs in against the new hash
		await ctx.db.update(users).set({ passwordHash: oldHash() }).where(eq(users.name, 'admin'));
		const third = await createAuth(options());
		expect((await third.login({ password: 'wrong password here', clientKey: 'd' })).ok).toBe(false);
		expect(await storedHash()).toMatch(/^scrypt\$16384\$/); // a failed check changes nothing
		expect((await third.login({ password, clientKey: 'd' })).ok).toBe(true);
		expect(await storedHash()).toMatch(/^scrypt\$32768\$8\$1\$/);
		expect(await third.authenticate(session)).toMatchObject({ role: 'admin', via: 'session' });
		expect((await third.login({ password, clientKey: 'e' })).ok).toBe(true);
	});

	it('without a password, prints a one-time setup token; only that token sets the password', async () => {
		const { log, lines } = captureLog();
		const auth = await createAuth(options({ log }));
		expect(await auth.state()).toBe('needs-setup');
		const token = /setup token: (\S+)/.exec(lines.join('\n'))?.[1];
		expect(token).toBeTruthy();

		expect((await auth.login({ password: 'anything-at-all', clientKey: 'a' })).ok).toBe(false);
		expect(
			await auth.completeSetup({
				token: 'guess',
				password: 'correct horse battery',
				clientKey: 'a'
			})
		).toMatchObject({ ok: false });
		const done = await auth.completeSetup({
			token: token!,
			password: 'correct horse battery',
			clientKey: 'a'
		});
		expect(done.ok).toBe(true);
		// Spent: a second setup is refused, the password now logs in.
		expect(
			(
				await auth.completeSetup({
					token: token!,
					password: 'another long password',
					clientKey: 'a'
				})
			).ok
		).toBe(false);
		expect(await auth.state()).toBe('ready');
		const login = await auth.login({ password: 'correct horse battery', clientKey: 'b' });
		expect(login.ok).toBe(true);
		if (login.ok)
			expect(await auth.authenticate({ authorization: null, sessionId: login.session.id })).toEqual(
				{ role: 'admin', via: 'session', userId: 1, userName: 'admin' }
			);
	});

	it('a lost setup race answers "setup is already done", never SQL or the hash (in the result or the log)', async () => {
		const { log, lines } = captureLog();
		const auth = await createAuth(options({ log }));
		const token = /setup token: (\S+)/.exec(lines.join('\n'))![1];
		const results = await Promise.all(
			Array.from({ length: 10 }, (_, i) =>
				auth.completeSetup({ token, password: `racing password ${i}`, clientKey: `r${i}` })
			)
		);
		expect(results.filter((r) => r.ok)).toHaveLength(1);
		const losers = results.filter((r) => !r.ok);
		expect(losers).toHaveLength(9);
		for (const r of losers)
			expect(r).toEqual({
				ok: false,
				code: 'BAD_REQUEST',
				error: 'Setup is already done: log in with the admin password.'
			});
		expect(lines.join('\n')).not.toMatch(/scrypt\$|INSERT|settings/);
	});

	it('sessions expire and logout ends them', async () => {
		let now = 1_000_000;
		const auth = await createAuth(
			options({ adminPassword: 'configured password', now: () => now })
		);
		const login = await auth.login({ password: 'configured password', clientKey: 'c' });
		if (!login.ok) throw new Error('login failed');
		expect(
			await auth.authenticate({ authorization: null, sessionId: login.session.id })
		).not.toBeNull();
		now += 3_600_001;
		expect(
			await auth.authenticate({ authorization: null, sessionId: login.session.id })
		).toBeNull();

		now = 1_000_000;
		const again = await auth.login({ password: 'configured password', clientKey: 'c' });
		if (!again.ok) throw new Error('login failed');
		await auth.logout(again.session.id);
		expect(
			await auth.authenticate({ authorization: null, sessionId: again.session.id })
		).toBeNull();
	});

	it('the Bearer scheme is case-insensitive (RFC 7235); other schemes are not the token', async () => {
		const auth = await createAuth(options());
		for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR'])
			expect(
				await auth.authenticate({
					authorization: `${scheme} ${auth.apiToken}`,
					sessionId: undefined
				})
			).toEqual({ role: 'viewer', via: 'token' });
		expect(
			await auth.authenticate({ authorization: `Basic ${auth.apiToken}`, sessionId: undefined })
		).toBeNull();
		expect(bearerToken('Bearer  abc ')).toBe('abc');
		expect(bearerToken('Bearer a b')).toBeNull();
		expect(bearerToken('Bearerabc')).toBeNull();
	});

	it('idle sessions end; a used one stays (idle 1 h, TTL 10 h)', async () => {
		let now = 1_000_000;
		const auth = await createAuth(
			options({
				adminPassword: 'configured password',
				sessionTtlMs: 10 * 3_600_000,
				sessionIdleMs: 3_600_000,
				now: () => now
			})
		);
		const a = await auth.login({ password: 'configured password', clientKey: 'c' });
		const b = await auth.login({ password: 'configured password', clientKey: 'c' });
		if (!a.ok || !b.ok) throw new Error('login failed');
		// a is used every 50 minutes (lastSeenAt is written once a minute at most), b never.
		for (let i = 0; i < 3; i++) {
			now += 50 * 60_000;
			expect(
				await auth.authenticate({ authorization: null, sessionId: a.session.id })
			).toMatchObject({ role: 'admin', via: 'session' });
		}
		expect(await auth.authenticate({ authorization: null, sessionId: b.session.id })).toBeNull();
	});

	it('changing the password ends every other session; log out everywhere ends all', async () => {
		const { log, lines } = captureLog();
		const auth = await createAuth(options({ log }));
		const token = /setup token: (\S+)/.exec(lines.join('\n'))![1];
		const first = await auth.completeSetup({
			token,
			password: 'first password 123',
			clientKey: 'a'
		});
		const other = await auth.login({ password: 'first password 123', clientKey: 'b' });
		if (!first.ok || !other.ok) throw new Error('setup/login failed');
		expect(
			await auth.changePassword({
				userId: 1,
				current: 'wrong',
				next: 'second password 456',
				clientKey: 'a'
			})
		).toMatchObject({ ok: false, code: 'UNAUTHORIZED' });
		const changed = await auth.changePassword({
			userId: 1,
			current: 'first password 123',
			next: 'second password 456',
			clientKey: 'a'
		});
		if (!changed.ok) throw new Error('change failed');
		expect(
			await auth.authenticate({ authorization: null, sessionId: first.session.id })
		).toBeNull();
		expect(
			await auth.authenticate({ authorization: null, sessionId: other.session.id })
		).toBeNull();
		expect(
			await auth.authenticate({ authorization: null, sessionId: changed.session.id })
		).toMatchObject({ role: 'admin', via: 'session' });
		expect((await auth.login({ password: 'first password 123', clientKey: 'c' })).ok).toBe(false);
		const again = await auth.login({ password: 'second password 456', clientKey: 'c' });
		if (!again.ok) throw new Error('login failed');

		await auth.logoutEverywhere(1);
		expect(
			await auth.authenticate({ authorization: null, sessionId: changed.session.id })
		).toBeNull();
		expect(
			await auth.authenticate({ authorization: null, sessionId: again.session.id })
		).toBeNull();
		expect(lines.join('\n')).not.toMatch(/scrypt\$|password 456/);
	});

	it('a changed VMW_ADMIN_PASSWORD ends the sessions of the old one at the next start', async () => {
		const first = await createAuth(options({ adminPassword: 'old configured password' }));
		const s = await first.login({ password: 'old configured password', clientKey: 'a' });
		if (!s.ok) throw new Error('login failed');
		// Restart with the same password: the session survives.
		const same = await createAuth(options({ adminPassword: 'old configured password' }));
		expect(
			await same.authenticate({ authorization: null, sessionId: s.session.id })
		).not.toBeNull();
		// Restart with a new password: it does not.
		const changed = await createAuth(options({ adminPassword: 'new configured password' }));
		expect(await changed.authenticate({ authorization: null, sessionId: s.session.id })).toBeNull();
	});

	it('an authenticated request reads no DB (session cache); logout and expiry refuse at once', async () => {
		let now = 1_000_000;
		const auth = await createAuth(
			options({ adminPassword: 'configured password', sessionTtlMs: 3_600_000, now: () => now })
		);
		const a = await auth.login({ password: 'configured password', clientKey: 'c' });
		const b = await auth.login({ password: 'configured password', clientKey: 'c' });
		if (!a.ok || !b.ok) throw new Error('login failed');
		const reads = vi.spyOn(ctx.db.query.sessions, 'findFirst');
		for (let i = 0; i < 20; i++)
			expect(
				await auth.authenticate({ authorization: null, sessionId: a.session.id })
			).toMatchObject({ role: 'admin', via: 'session' });
		expect(reads).not.toHaveBeenCalled();
		await auth.logout(a.session.id);
		expect(await auth.authenticate({ authorization: null, sessionId: a.session.id })).toBeNull();
		now += 3_600_000;
		expect(await auth.authenticate({ authorization: null, sessionId: b.session.id })).toBeNull();
		// A restart (new auth, same DB) finds sessions in the DB.
		now = 1_000_000;
		const c = await auth.login({ password: 'configured password', clientKey: 'c' });
		if (!c.ok) throw new Error('login failed');
		const restarted = await createAuth(
			options({ adminPassword: 'configured password', now: () => now })
		);
		expect(
			await restarted.authenticate({ authorization: null, sessionId: c.session.id })
		).toMatchObject({ role: 'admin', via: 'session' });
		// Two reads in all: the logged-out id (no longer cached, not in the DB) and the restart.
		expect(reads).toHaveBeenCalledTimes(2);
		reads.mockRestore();
	});

	it('throttles a client after repeated wrong passwords', async () => {
		const auth = await createAuth(options({ adminPassword: 'configured password' }));
		for (let i = 0; i < 5; i++) await auth.login({ password: 'nope', clientKey: 'x' });
		expect(await auth.login({ password: 'configured password', clientKey: 'x' })).toMatchObject({
			ok: false,
			error: expect.stringMatching(/Too many/)
		});
		expect((await auth.login({ password: 'configured password', clientKey: 'y' })).ok).toBe(true);
	});

	it('with auth off, everyone is admin (config allows it only on loopback)', async () => {
		const auth = await createAuth(options({ enabled: false }));
		expect(await auth.authenticate({ authorization: null, sessionId: undefined })).toEqual({
			role: 'admin',
			via: 'auth-off'
		});
	});
});

describe('refuseCrossSiteMutation', () => {
	const url = new URL('http://vm.example:4004/api/trpc/auth.logout');
	const post = (headers: Record<string, string>) =>
		new Request(url, { method: 'POST', headers, body: '{}' });

	it.each([
		[
			'same-origin JSON',
			{
				'content-type': 'application/json',
				origin: 'http://vm.example:4004',
				'sec-fetch-site': 'same-origin'
			},
			null
		],
		[
			'form post',
			{ 'content-type': 'application/x-www-form-urlencoded', origin: 'http://vm.example:4004' },
			/application\/json/
		],
		[
			'text/plain (simple CORS request)',
			{ 'content-type': 'text/plain', origin: 'http://vm.example:4004' },
			/application\/json/
		],
		[
			'other origin',
			{ 'content-type': 'application/json', origin: 'http://evil.example' },
			/cross-origin/
		],
		[
			'cross-site fetch metadata',
			{
				'content-type': 'application/json',
				origin: 'http://vm.example:4004',
				'sec-fetch-site': 'cross-site'
			},
			/cross-site/
		],
		['no Origin and no token', { 'content-type': 'application/json' }, /Origin/],
		[
			'script with bearer token, no Origin',
			{ 'content-type': 'application/json', authorization: 'Bearer t' },
			null
		],
		[
			'any other Authorization header, no Origin',
			{ 'content-type': 'application/json', authorization: 'Basic junk' },
			/Origin/
		],
		[
			'a bearer token that did not authenticate, no Origin',
			{ 'content-type': 'application/json', authorization: 'Bearer wrong' },
			/Origin/
		]
	])('%s', (_name, headers, expected) => {
		// The token "authenticated" only in the script case (hooks passes principal.via === 'token').
		const r = refuseCrossSiteMutation(
			post(headers),
			url,
			(headers as Record<string, string>).authorization === 'Bearer t'
		);
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
		const req = (origin: string) =>
			new Request(guessed, {
				method: 'POST',
				headers: { 'content-type': 'application/json', origin },
				body: '{}'
			});
		expect(refuseCrossSiteMutation(req('http://127.0.0.1:4004'), guessed)).toBeNull();
		expect(refuseCrossSiteMutation(req('http://127.0.0.1:4005'), guessed)).toMatch(/cross-origin/);
		expect(refuseCrossSiteMutation(req('null'), guessed)).toMatch(/cross-origin/);
	});
});

describe('refuseCrossSiteRead (SSE subscriptions and other tRPC GETs)', () => {
	const url = new URL('http://vm.example:4004/api/trpc/health.live');
	const get = (headers: Record<string, string>) =>
		refuseCrossSiteRead(new Request(url, { headers }), url);
	it.each([
		[
			'same-origin EventSource',
			{ origin: 'http://vm.example:4004', 'sec-fetch-site': 'same-origin' },
			null
		],
		['curl (no Origin, no fetch metadata)', {}, null],
		['typed address bar', { 'sec-fetch-site': 'none' }, null],
		[
			'another site',
			{ origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
			/cross-site/
		],
		['a sibling subdomain', { 'sec-fetch-site': 'same-site' }, /same-site/],
		['foreign Origin without fetch metadata', { origin: 'http://evil.example' }, /cross-origin/]
	])('%s', (_n, headers, expected) => {
		if (expected === null) expect(get(headers)).toBeNull();
		else expect(get(headers)).toMatch(expected);
	});
});
