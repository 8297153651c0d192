// Auth (decision 0003, extended in issue 16 / decision 0010): users with roles (viewer, operator,
// admin), sessions in HttpOnly SameSite=Strict cookies tied to the user's credential, and one
// static read-only API token for curl, scripts and Prometheus.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { and, eq, lt, or } from 'drizzle-orm';
import type { Db } from '../db';
import { apiTokens, sessions, settings, users } from '../db/schema';
import type { Logger } from '../log';
import { createHashGate, HashingBusyError, hashPassword, needsRehash, secretsEqual, verifyPassword } from './passwords';
import { createThrottle } from './throttle';

export type Role = 'viewer' | 'operator' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];
export interface Principal {
	role: Role;
	via: 'session' | 'token' | 'auth-off' | 'proxy';
	/** the logged-in user (sessions; 'proxy:<name>' for a trusted-proxy login) */
	userId?: number;
	userName?: string;
	/** a managed API token (not VMW_API_TOKEN) */
	tokenId?: number;
	/** a `hub`-scope token: an operator that may name the hub user it acts for */
	hub?: true;
	/** a hub's user this hub-scope token acts for (header x-vmwarden-on-behalf-of; audit only) */
	onBehalfOf?: string;
}

/** read = viewer; operate = operator; hub = operator that may name the hub user it acts for (decision 0021). */
export type TokenScope = 'read' | 'operate' | 'hub';
export interface TokenView {
	id: number;
	name: string;
	scope: TokenScope;
	createdAt: number;
	createdBy: string;
	expiresAt: number | null;
	lastUsedAt: number | null;
	revokedAt: number | null;
}
/** Managed tokens start with this, so a leaked one is recognisable (and greppable). */
export const TOKEN_PREFIX = 'vmw_';

export const SESSION_COOKIE = 'vmw_session';
/** Over https the cookie is `__Host-` prefixed: Secure, Path=/, no Domain, so a sibling subdomain cannot set or shadow it. */
export const SECURE_SESSION_COOKIE = '__Host-vmw_session';

/** The session cookie's name: `__Host-vmw_session` when VMW_ORIGIN is https, plain on http://localhost. */
export function sessionCookieName(origin: string | null): string {
	return origin?.startsWith('https://') ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
}
/** Where the single admin password lived before users: migrated to the user "admin", then removed. */
const LEGACY_ADMIN_HASH_KEY = 'admin_password_hash';
/** The user VMW_ADMIN_PASSWORD and /setup create. */
export const FIRST_ADMIN = 'admin';
/** lastSeenAt is written at most this often (idle expiry needs minutes, not milliseconds). */
const LAST_SEEN_WRITE_MS = 60_000;
export const USER_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const newSecret = () => randomBytes(32).toString('base64url');

export interface AuthOptions {
	db: Db;
	enabled: boolean;
	apiToken: string | null;
	adminPassword: string | null;
	sessionTtlMs: number;
	/** a session unused this long ends; defaults to the TTL */
	sessionIdleMs?: number;
	dataDir: string;
	log: Logger;
	now?: () => number;
}

export type Auth = Awaited<ReturnType<typeof createAuth>>;

export type LoginResult =
	| { ok: true; session: { id: string; expiresAt: number } }
	| { ok: false; code: 'UNAUTHORIZED' | 'TOO_MANY_REQUESTS' | 'BAD_REQUEST' | 'INTERNAL_SERVER_ERROR'; error: string };

export type UserChange = { ok: true } | { ok: false; code: 'BAD_REQUEST' | 'NOT_FOUND' | 'CONFLICT' | 'TOO_MANY_REQUESTS'; error: string };

export interface UserView {
	id: number;
	name: string;
	role: Role;
	createdAt: number;
	/** the password comes from VMW_ADMIN_PASSWORD and is changed there */
	managedByConfig: boolean;
}

interface KnownUser {
	id: number;
	name: string;
	role: Role;
	passwordHash: string;
	credential: string;
	createdAt: number;
}

export async function createAuth(opts: AuthOptions) {
	const { db, log } = opts;
	const now = opts.now ?? Date.now;
	const apiToken = opts.apiToken ?? (await persistedApiToken(opts.dataDir, log));
	/** Where the read-only token is kept; null when it comes from VMW_API_TOKEN. */
	const apiTokenFile = opts.apiToken ? null : apiTokenPath(opts.dataDir);
	const throttle = createThrottle({ now });
	// Per account: more free tries (others' guesses must not lock a user out at once).
	const accountThrottle = createThrottle({ now, freeTries: 20, maxConcurrent: 4 });
	// Password checks caused by requests go through one gate (one at a time, 4/s, burst 8).
	const gate = createHashGate();
	const tooMany = (retryAfterMs: number) =>
		({ ok: false as const, code: 'TOO_MANY_REQUESTS' as const, error: `Too many attempts; try again in ${Math.ceil(retryAfterMs / 1000)} s.` });
	const idleMs = opts.sessionIdleMs ?? opts.sessionTtlMs;

	// Users in memory (few, changed only here): role and credential checks read no DB.
	const known = new Map<number, KnownUser>();
	for (const u of await db.select().from(users)) known.set(u.id, u);
	const byName = (name: string) => [...known.values()].find((u) => u.name === name);
	const admins = () => [...known.values()].filter((u) => u.role === 'admin').length;

	// Sessions in memory (sha256 of the id -> what authenticate needs): an authenticated request
	// reads no DB. Dropped on logout, expiry, idle, password change and log-out-everywhere.
	interface CachedSession {
		userId: number;
		expiresAt: number;
		credential: string;
		lastSeenAt: number;
		/** when lastSeenAt was last written to the DB */
		writtenAt: number;
	}
	const cache = new Map<string, CachedSession>();
	const MAX_CACHED = 10_000;
	function remember(idHash: string, s: CachedSession) {
		cache.set(idHash, s);
		if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
	}

	// Managed API tokens in memory by hash: a token request reads no DB either.
	type KnownToken = TokenView & { tokenHash: string; writtenAt: number };
	const tokens = new Map<string, KnownToken>();
	for (const t of await db.select().from(apiTokens)) tokens.set(t.tokenHash, { ...t, writtenAt: t.lastUsedAt ?? 0 });
	const tokenView = ({ tokenHash: _h, writtenAt: _w, ...v }: KnownToken): TokenView => v;

	async function tokenPrincipal(secret: string): Promise<Principal | null> {
		const t = tokens.get(sha256(secret));
		const at = now();
		if (!t || t.revokedAt !== null || (t.expiresAt !== null && t.expiresAt <= at)) return null;
		t.lastUsedAt = at;
		if (at - t.writtenAt >= LAST_SEEN_WRITE_MS) {
			t.writtenAt = at;
			await db.update(apiTokens).set({ lastUsedAt: at }).where(eq(apiTokens.id, t.id));
		}
		if (t.scope === 'hub') return { role: 'operator', via: 'token', tokenId: t.id, hub: true };
		return { role: t.scope === 'operate' ? 'operator' : 'viewer', via: 'token', tokenId: t.id };
	}

	async function insertUser(name: string, role: Role, passwordHash: string): Promise<KnownUser | null> {
		const t = now();
		const [row] = await db.insert(users).values({ name, role, passwordHash, credential: newSecret(), createdAt: t, updatedAt: t }).onConflictDoNothing().returning();
		if (!row) return null;
		known.set(row.id, row);
		return row;
	}

	/** New password hash and/or role; a new password rotates the credential (sessions end). */
	async function updateUser(u: KnownUser, change: { role?: Role; passwordHash?: string }) {
		const credential = change.passwordHash ? newSecret() : u.credential;
		const next = { ...u, ...change, credential };
		await db.update(users).set({ role: next.role, passwordHash: next.passwordHash, credential, updatedAt: now() }).where(eq(users.id, u.id));
		known.set(u.id, next);
		if (change.passwordHash) await endSessionsOf(u.id);
	}

	/** Same password, today's hash parameters (passwords.ts): sessions stay, nothing else changes. */
	async function upgradeHash(u: KnownUser, password: string) {
		const passwordHash = await hashPassword(password, gate);
		await db.update(users).set({ passwordHash }).where(eq(users.id, u.id));
		known.set(u.id, { ...(known.get(u.id) ?? u), passwordHash });
	}

	async function endSessionsOf(userId: number) {
		for (const [k, s] of cache) if (s.userId === userId) cache.delete(k);
		await db.delete(sessions).where(eq(sessions.userId, userId));
	}

	// Migration from the single admin password (decision 0003): it becomes the user "admin".
	if (known.size === 0) {
		const legacy = await getSetting(db, LEGACY_ADMIN_HASH_KEY);
		if (legacy) {
			await insertUser(FIRST_ADMIN, 'admin', legacy);
			await db.delete(sessions).where(eq(sessions.credential, ''));
			log.info('The admin password became the user "admin" (log in with name admin and the same password)');
		}
	}
	if (known.size > 0) await db.delete(settings).where(eq(settings.key, LEGACY_ADMIN_HASH_KEY));
	// VMW_ADMIN_PASSWORD is the password of the user "admin": created, or updated when it changed
	// (edit the env file, restart: that user's sessions end).
	if (opts.enabled && opts.adminPassword) {
		const admin = byName(FIRST_ADMIN);
		if (!admin) await insertUser(FIRST_ADMIN, 'admin', await hashPassword(opts.adminPassword));
		else if (!(await verifyPassword(opts.adminPassword, admin.passwordHash))) {
			await updateUser(admin, { passwordHash: await hashPassword(opts.adminPassword), role: 'admin' });
			log.info('VMW_ADMIN_PASSWORD changed: the sessions of the user "admin" have ended');
		} else if (needsRehash(admin.passwordHash)) await upgradeHash(admin, opts.adminPassword);
	}

	let setupToken: string | null = null;
	if (opts.enabled && known.size === 0) {
		setupToken = newSecret();
		// Printed once so the operator, not the first visitor, can claim the install.
		log.warn(`No admin password is set. Open /setup and enter this one-time setup token: ${setupToken}`);
	}

	async function createSession(u: KnownUser) {
		const id = newSecret();
		const t = now();
		const expiresAt = t + opts.sessionTtlMs;
		await db.insert(sessions).values({ idHash: sha256(id), role: u.role, userId: u.id, createdAt: t, expiresAt, credential: u.credential, lastSeenAt: t });
		remember(sha256(id), { userId: u.id, expiresAt, credential: u.credential, lastSeenAt: t, writtenAt: t });
		await db.delete(sessions).where(or(lt(sessions.expiresAt, t), lt(sessions.lastSeenAt, t - idleMs)));
		return { id, expiresAt };
	}

	// A hash to check against for an unknown user name, so its answer takes as long as a real one.
	const decoyHash = await hashPassword(newSecret());

	/** Runs a password check under both throttles; null when refused (the result says why). */
	async function checkPassword(name: string, password: string, clientKey: string, what: string): Promise<{ user: KnownUser } | Exclude<LoginResult, { ok: true }>> {
		const attempt = throttle.attempt([`addr:${clientKey}`]);
		if (!attempt.ok) {
			log.warn(`${what} refused: too many attempts`, { address: clientKey, user: name, reason: attempt.reason });
			return tooMany(attempt.retryAfterMs);
		}
		const account = accountThrottle.attempt([`user:${name}`]);
		if (!account.ok) {
			attempt.done(false);
			log.warn(`${what} refused: too many attempts for this user`, { address: clientKey, user: name, reason: account.reason });
			return tooMany(account.retryAfterMs);
		}
		let good = false;
		try {
			const user = byName(name);
			good = await verifyPassword(password, user?.passwordHash ?? decoyHash, gate);
			if (!good || !user) {
				good = false;
				log.warn(`${what} failed: wrong name or password`, { address: clientKey, user: name });
				return { ok: false, code: 'UNAUTHORIZED', error: known.size === 0 ? 'No admin password is set yet: use /setup with the setup token from the log.' : 'Wrong name or password.' };
			}
			// best effort: a busy hash gate or a DB error only postpones it to the next login
			if (needsRehash(user.passwordHash)) await upgradeHash(user, password).catch((err) => log.warn('password hash upgrade postponed', { user: name, err }));
			return { user: known.get(user.id) ?? user };
		} catch (err) {
			if (err instanceof HashingBusyError) {
				log.warn(`${what} refused: password checks busy`, { address: clientKey, user: name });
				return tooMany(1000);
			}
			throw err;
		} finally {
			attempt.done(good);
			account.done(good);
		}
	}

	const view = (u: KnownUser): UserView => ({ id: u.id, name: u.name, role: u.role, createdAt: u.createdAt, managedByConfig: u.name === FIRST_ADMIN && opts.adminPassword !== null });

	return {
		enabled: opts.enabled,
		apiToken,
		apiTokenFile,
		/** The one-time setup token while setup is pending (for the start-up banner), else null. */
		pendingSetupToken: () => setupToken,
		/** 'needs-setup' while no user exists: only the setup token can create the first admin. */
		async state(): Promise<'ready' | 'needs-setup'> {
			return known.size > 0 ? 'ready' : 'needs-setup';
		},

		async authenticate({ authorization, sessionId }: { authorization: string | null; sessionId: string | undefined }): Promise<Principal | null> {
			if (!opts.enabled) return { role: 'admin', via: 'auth-off' };
			const bearer = bearerToken(authorization);
			// A Bearer header decides alone: a wrong token is refused even with a valid cookie.
			if (bearer !== null) {
				if (bearer.startsWith(TOKEN_PREFIX)) return tokenPrincipal(bearer);
				return secretsEqual(bearer, apiToken) ? { role: 'viewer', via: 'token' } : null;
			}
			if (!sessionId || sessionId.length > 100) return null;
			const idHash = sha256(sessionId);
			const t = now();
			let s = cache.get(idHash);
			if (!s) {
				const row = await db.query.sessions.findFirst({ where: eq(sessions.idHash, idHash) });
				if (!row) return null;
				s = { userId: row.userId ?? -1, expiresAt: row.expiresAt, credential: row.credential, lastSeenAt: row.lastSeenAt, writtenAt: row.lastSeenAt };
				remember(idHash, s);
			}
			const user = known.get(s.userId);
			if (!user || s.expiresAt <= t || s.lastSeenAt <= t - idleMs || s.credential !== user.credential) {
				cache.delete(idHash);
				await db.delete(sessions).where(eq(sessions.idHash, idHash));
				return null;
			}
			s.lastSeenAt = t;
			// Idle expiry needs minutes: the DB copy is refreshed at most once a minute (a restart
			// forgets at most that much of the idle time).
			if (t - s.writtenAt >= LAST_SEEN_WRITE_MS) {
				s.writtenAt = t;
				await db.update(sessions).set({ lastSeenAt: t }).where(eq(sessions.idHash, idHash));
			}
			// The user's current role: a role change applies to open sessions at once.
			return { role: user.role, via: 'session', userId: user.id, userName: user.name };
		},

		/**
		 * A new session for the right name and password. The attempt is counted before anything
		 * is awaited (see throttle.ts); every failure and refusal is logged with the address.
		 */
		async login({ name = FIRST_ADMIN, password, clientKey }: { name?: string; password: string; clientKey: string }): Promise<LoginResult> {
			const checked = await checkPassword(name.toLowerCase(), password, clientKey, 'login');
			if (!('user' in checked)) return checked;
			log.info('login', { address: clientKey, user: checked.user.name });
			return { ok: true, session: await createSession(checked.user) };
		},

		async logout(sessionId: string | undefined) {
			if (!sessionId) return;
			cache.delete(sha256(sessionId));
			await db.delete(sessions).where(eq(sessions.idHash, sha256(sessionId)));
		},

		/** Ends every session of this user (this one included) by rotating the credential. */
		async logoutEverywhere(userId: number) {
			const u = known.get(userId);
			if (!u) return;
			const credential = newSecret();
			await db.update(users).set({ credential, updatedAt: now() }).where(eq(users.id, userId));
			known.set(userId, { ...u, credential });
			await endSessionsOf(userId);
			log.info('logged out everywhere', { user: u.name });
		},

		/** The user's own password; every session of theirs ends, the caller gets a fresh one. */
		async changePassword({ userId, current, next, clientKey }: { userId: number; current: string; next: string; clientKey: string }): Promise<LoginResult> {
			const u = known.get(userId);
			if (!u) return { ok: false, code: 'UNAUTHORIZED', error: 'Log in again.' };
			if (u.name === FIRST_ADMIN && opts.adminPassword) return { ok: false, code: 'BAD_REQUEST', error: 'The password comes from VMW_ADMIN_PASSWORD: change it there and restart.' };
			const checked = await checkPassword(u.name, current, clientKey, 'password change');
			if (!('user' in checked)) return checked.code === 'UNAUTHORIZED' ? { ...checked, error: 'The current password is wrong.' } : checked;
			try {
				await updateUser(u, { passwordHash: await hashPassword(next, gate) });
			} catch (err) {
				if (err instanceof HashingBusyError) return tooMany(1000);
				throw err;
			}
			log.info('password changed: the other sessions have ended', { address: clientKey, user: u.name });
			return { ok: true, session: await createSession(known.get(userId)!) };
		},

		/**
		 * Creates the first admin with the one-time setup token. The token is checked and
		 * claimed before any await, so of two racing requests one wins and the other is told
		 * "setup is already done" (never a database error carrying SQL and the new hash).
		 */
		async completeSetup({ token, password, clientKey }: { token: string; password: string; clientKey: string }): Promise<LoginResult> {
			const done = { ok: false as const, code: 'BAD_REQUEST' as const, error: 'Setup is already done: log in with the admin password.' };
			if (!setupToken || known.size > 0) return done;
			const attempt = throttle.attempt([`addr:${clientKey}`]);
			if (!attempt.ok) {
				log.warn('setup refused: too many attempts', { address: clientKey, reason: attempt.reason });
				return tooMany(attempt.retryAfterMs);
			}
			if (!secretsEqual(token.trim(), setupToken)) {
				attempt.done(false);
				log.warn('setup failed: wrong setup token', { address: clientKey });
				return { ok: false, code: 'BAD_REQUEST', error: 'Wrong setup token: use the one printed in the server log.' };
			}
			attempt.done(true);
			const claimed = setupToken;
			setupToken = null;
			let admin: KnownUser | null;
			try {
				admin = await insertUser(FIRST_ADMIN, 'admin', await hashPassword(password, gate));
				if (!admin) return done;
			} catch (err) {
				setupToken = claimed; // nothing was stored: the token stays usable
				if (err instanceof HashingBusyError) return tooMany(1000);
				log.error('setup failed', { err: new Error('could not store the admin user') });
				return { ok: false, code: 'INTERNAL_SERVER_ERROR', error: 'Could not store the password; see the server log.' };
			}
			log.info('Admin user created through /setup; the setup token is spent.', { address: clientKey });
			return { ok: true, session: await createSession(admin) };
		},

		// ---- API tokens (admin role; the router checks it) ----
		listTokens(): TokenView[] {
			return [...tokens.values()].sort((a, b) => a.id - b.id).map(tokenView);
		},

		/** A new token; its secret is returned here once and never stored. */
		async createToken({ name, scope, expiresInDays, createdBy }: { name: string; scope: TokenScope; expiresInDays: number | null; createdBy: string }) {
			const secret = TOKEN_PREFIX + newSecret();
			const t = now();
			const row = { name, scope, tokenHash: sha256(secret), createdAt: t, createdBy, expiresAt: expiresInDays === null ? null : t + expiresInDays * 86_400_000, lastUsedAt: null, revokedAt: null };
			const [saved] = await db.insert(apiTokens).values(row).returning({ id: apiTokens.id });
			tokens.set(row.tokenHash, { ...row, id: saved.id, writtenAt: 0 });
			log.info('API token created', { id: saved.id, name, scope });
			return { id: saved.id, secret };
		},

		/** Revoked at once: the next request with it is refused. */
		async revokeToken(id: number): Promise<UserChange> {
			const t = [...tokens.values()].find((x) => x.id === id);
			if (!t) return { ok: false, code: 'NOT_FOUND', error: 'No such token.' };
			if (t.revokedAt !== null) return { ok: true };
			t.revokedAt = now();
			await db.update(apiTokens).set({ revokedAt: t.revokedAt }).where(eq(apiTokens.id, id));
			log.info('API token revoked', { id, name: t.name });
			return { ok: true };
		},

		// ---- user administration (admin role; the router checks it) ----
		listUsers(): UserView[] {
			return [...known.values()].sort((a, b) => a.id - b.id).map(view);
		},

		async createUser({ name, role, password }: { name: string; role: Role; password: string }): Promise<UserChange & { id?: number }> {
			const n = name.toLowerCase();
			if (!USER_NAME.test(n)) return { ok: false, code: 'BAD_REQUEST', error: 'A name is 1–64 lower-case letters, digits, dot, dash or underscore.' };
			if (byName(n)) return { ok: false, code: 'CONFLICT', error: `The user "${n}" exists.` };
			let u: KnownUser | null;
			try {
				u = await insertUser(n, role, await hashPassword(password, gate));
			} catch (err) {
				if (err instanceof HashingBusyError) return tooMany(1000);
				throw err;
			}
			if (!u) return { ok: false, code: 'CONFLICT', error: `The user "${n}" exists.` };
			log.info('user created', { user: n, role });
			return { ok: true, id: u.id };
		},

		async setUser({ id, role, password }: { id: number; role?: Role; password?: string }): Promise<UserChange> {
			const u = known.get(id);
			if (!u) return { ok: false, code: 'NOT_FOUND', error: 'No such user.' };
			if (role && role !== 'admin' && u.role === 'admin' && admins() === 1) return { ok: false, code: 'BAD_REQUEST', error: 'This is the last admin: make another admin first.' };
			if (password && u.name === FIRST_ADMIN && opts.adminPassword) return { ok: false, code: 'BAD_REQUEST', error: 'This password comes from VMW_ADMIN_PASSWORD: change it there and restart.' };
			try {
				await updateUser(u, { ...(role ? { role } : {}), ...(password ? { passwordHash: await hashPassword(password, gate) } : {}) });
			} catch (err) {
				if (err instanceof HashingBusyError) return tooMany(1000);
				throw err;
			}
			log.info('user changed', { user: u.name, role: role ?? u.role, password: password ? 'changed' : 'unchanged' });
			return { ok: true };
		},

		async deleteUser(id: number): Promise<UserChange> {
			const u = known.get(id);
			if (!u) return { ok: false, code: 'NOT_FOUND', error: 'No such user.' };
			if (u.role === 'admin' && admins() === 1) return { ok: false, code: 'BAD_REQUEST', error: 'This is the last admin: make another admin first.' };
			await endSessionsOf(id);
			await db.delete(users).where(and(eq(users.id, id), eq(users.name, u.name)));
			known.delete(id);
			log.info('user deleted', { user: u.name });
			return { ok: true };
		}
	};
}

const apiTokenPath = (dataDir: string) => path.resolve(dataDir, 'api-token');

async function getSetting(db: Db, key: string): Promise<string | null> {
	const row = await db.query.settings.findFirst({ where: eq(settings.key, key) });
	return row?.value ?? null;
}

async function putSetting(db: Db, key: string, value: string, updatedAt: number) {
	await db.insert(settings).values({ key, value, updatedAt }).onConflictDoUpdate({ target: settings.key, set: { value, updatedAt } });
}

/** The token of an `Authorization: Bearer …` header (scheme case-insensitive, RFC 7235); null otherwise. */
export function bearerToken(authorization: string | null): string | null {
	const m = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
	return m ? m[1] : null;
}

/** The read-only API token when none is configured: generated once, kept in the data dir (0600). */
async function persistedApiToken(dataDir: string, log: Logger): Promise<string> {
	const file = apiTokenPath(dataDir);
	try {
		const t = (await readFile(file, 'utf8')).trim();
		if (t.length >= 24) return t;
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`Cannot read the API token file ${file}`, { cause: err });
	}
	const token = newSecret();
	await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
	await writeFile(file, token + '\n', { mode: 0o600 });
	log.info(`Generated the read-only API token in ${file} (set VMW_API_TOKEN to choose your own).`);
	return token;
}

const ranks: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };
export function hasRole(p: Principal | null, min: Role) {
	return p !== null && ranks[p.role] >= ranks[min];
}

/**
 * State changes come only as POST with a JSON body from this origin (DESIGN decision 8).
 * Returns the reason for refusing, or null when the request may proceed.
 */
export function refuseCrossSiteMutation(request: Request, url: URL, bearerAuthenticated = false): string | null {
	if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return null;
	if (request.method !== 'POST') return `method ${request.method} is not allowed`;
	const type = request.headers.get('content-type')?.split(';')[0].trim().toLowerCase();
	if (type !== 'application/json') return 'mutations need Content-Type: application/json';
	const site = request.headers.get('sec-fetch-site');
	if (site && site !== 'same-origin' && site !== 'none') return `cross-site request refused (Sec-Fetch-Site: ${site})`;
	const origin = request.headers.get('origin');
	// Browsers always send Origin on POST; curl and scripts with the bearer token may not. Only
	// a token that actually authenticated waives it (not any Authorization header: `Basic junk`).
	// Hosts are compared, not schemes: without VMW_ORIGIN, adapter-node guesses https for
	// url.protocol even when the app is served over plain http.
	if (origin !== null && hostOf(origin) !== url.host) return `cross-origin request refused (Origin: ${origin})`;
	if (origin === null && !bearerAuthenticated) return 'missing Origin header';
	return null;
}

/**
 * A read (GET) of the tRPC endpoint, e.g. an SSE subscription, from another site: refused
 * when the browser says so (Sec-Fetch-Site) or sends a foreign Origin. Cookies are
 * SameSite=Strict already; this is the second lock.
 */
export function refuseCrossSiteRead(request: Request, url: URL): string | null {
	if (request.method !== 'GET' && request.method !== 'HEAD') return null;
	const site = request.headers.get('sec-fetch-site');
	if (site && site !== 'same-origin' && site !== 'none') return `cross-site request refused (Sec-Fetch-Site: ${site})`;
	const origin = request.headers.get('origin');
	if (origin !== null && hostOf(origin) !== url.host) return `cross-origin request refused (Origin: ${origin})`;
	return null;
}

function hostOf(origin: string) {
	try {
		return new URL(origin).host;
	} catch {
		return null;
	}
}

/** Cookies get `Secure` when the page was loaded over https (the browser's Origin tells). */
export function isSecureRequest(request: Request) {
	return request.headers.get('origin')?.startsWith('https://') ?? false;
}
