// Auth (decision 0003, hardened in issue 16): one admin password (config or /setup), sessions in
// HttpOnly SameSite=Strict cookies tied to the credential they were issued under, and one
// static read-only API token for curl, scripts and Prometheus.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { eq, lt, or } from 'drizzle-orm';
import type { Db } from '../db';
import { sessions, settings } from '../db/schema';
import type { Logger } from '../log';
import { createHashGate, HashingBusyError, hashPassword, secretsEqual, verifyPassword } from './passwords';
import { createThrottle } from './throttle';

export type Role = 'viewer' | 'operator' | 'admin';
export interface Principal {
	role: Role;
	via: 'session' | 'token' | 'auth-off';
}

export const SESSION_COOKIE = 'vmw_session';
const ADMIN_HASH_KEY = 'admin_password_hash';
/** Random value naming the current credential: sessions carry it; rotating it ends them all. */
const EPOCH_KEY = 'credential_epoch';
/** scrypt hash of VMW_ADMIN_PASSWORD as last seen, to notice a changed password at start-up. */
const ENV_PASSWORD_CHECK_KEY = 'admin_env_password_check';
/** lastSeenAt is written at most this often (idle expiry needs minutes, not milliseconds). */
const LAST_SEEN_WRITE_MS = 60_000;

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

export async function createAuth(opts: AuthOptions) {
	const { db, log } = opts;
	const now = opts.now ?? Date.now;
	const apiToken = opts.apiToken ?? (await persistedApiToken(opts.dataDir, log));
	/** Where the read-only token is kept; null when it comes from VMW_API_TOKEN. */
	const apiTokenFile = opts.apiToken ? null : apiTokenPath(opts.dataDir);

	let setupToken: string | null = null;
	if (opts.enabled && !opts.adminPassword && !(await storedAdminHash())) {
		setupToken = newSecret();
		// Printed once so the operator, not the first visitor, can claim the install.
		log.warn(`No admin password is set. Open /setup and enter this one-time setup token: ${setupToken}`);
	}

	async function storedAdminHash() {
		return getSetting(db, ADMIN_HASH_KEY);
	}

	const idleMs = opts.sessionIdleMs ?? opts.sessionTtlMs;

	// Sessions in memory (sha256 of the id -> what authenticate needs): an authenticated request
	// reads no DB. Emptied on logout, expiry, password change and log-out-everywhere.
	interface CachedSession {
		role: Role;
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

	let epoch = '';
	async function rotateEpoch() {
		cache.clear();
		epoch = newSecret();
		await putSetting(db, EPOCH_KEY, epoch, now());
	}
	const storedEpoch = await getSetting(db, EPOCH_KEY);
	if (storedEpoch) epoch = storedEpoch;
	else await rotateEpoch();
	// A changed VMW_ADMIN_PASSWORD (edit the env file, restart) ends every session.
	if (opts.enabled && opts.adminPassword) {
		const seen = await getSetting(db, ENV_PASSWORD_CHECK_KEY);
		if (!seen || !(await verifyPassword(opts.adminPassword, seen))) {
			if (seen) log.info('VMW_ADMIN_PASSWORD changed: every session has ended');
			await putSetting(db, ENV_PASSWORD_CHECK_KEY, await hashPassword(opts.adminPassword), now());
			if (seen) await rotateEpoch();
		}
	}

	const throttle = createThrottle({ now });
	// Password checks caused by requests go through one gate (one at a time, 4/s, burst 8).
	const gate = createHashGate();
	const tooMany = (retryAfterMs: number) =>
		({ ok: false as const, code: 'TOO_MANY_REQUESTS' as const, error: `Too many attempts; try again in ${Math.ceil(retryAfterMs / 1000)} s.` });

	async function createSession(role: Role) {
		const id = newSecret();
		const expiresAt = now() + opts.sessionTtlMs;
		const t = now();
		await db.insert(sessions).values({ idHash: sha256(id), role, createdAt: t, expiresAt, credential: epoch, lastSeenAt: t });
		remember(sha256(id), { role, expiresAt, credential: epoch, lastSeenAt: t, writtenAt: t });
		await db.delete(sessions).where(or(lt(sessions.expiresAt, t), lt(sessions.lastSeenAt, t - idleMs)));
		return { id, expiresAt };
	}

	return {
		enabled: opts.enabled,
		apiToken,
		apiTokenFile,
		/** The one-time setup token while setup is pending (for the start-up banner), else null. */
		pendingSetupToken: () => setupToken,
		/** 'needs-setup' while no password exists: only the setup token can set one. */
		async state(): Promise<'ready' | 'needs-setup'> {
			return opts.adminPassword || (await storedAdminHash()) ? 'ready' : 'needs-setup';
		},

		async authenticate({ authorization, sessionId }: { authorization: string | null; sessionId: string | undefined }): Promise<Principal | null> {
			if (!opts.enabled) return { role: 'admin', via: 'auth-off' };
			const bearer = bearerToken(authorization);
			// A Bearer header decides alone: a wrong token is refused even with a valid cookie.
			if (bearer !== null) return secretsEqual(bearer, apiToken) ? { role: 'viewer', via: 'token' } : null;
			if (!sessionId || sessionId.length > 100) return null;
			const idHash = sha256(sessionId);
			const t = now();
			let s = cache.get(idHash);
			if (!s) {
				const row = await db.query.sessions.findFirst({ where: eq(sessions.idHash, idHash) });
				if (!row) return null;
				s = { role: row.role, expiresAt: row.expiresAt, credential: row.credential, lastSeenAt: row.lastSeenAt, writtenAt: row.lastSeenAt };
				remember(idHash, s);
			}
			if (s.expiresAt <= t || s.lastSeenAt <= t - idleMs || s.credential !== epoch) {
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
			return { role: s.role, via: 'session' };
		},

		/**
		 * A new session for the right password. The attempt is counted before anything is
		 * awaited (see throttle.ts); every failure and refusal is logged with the address.
		 */
		async login({ password, clientKey }: { password: string; clientKey: string }): Promise<LoginResult> {
			const attempt = throttle.attempt([`addr:${clientKey}`]);
			if (!attempt.ok) {
				log.warn('login refused: too many attempts', { address: clientKey, reason: attempt.reason });
				return tooMany(attempt.retryAfterMs);
			}
			let good = false;
			try {
				const stored = opts.adminPassword ? null : await storedAdminHash();
				good = opts.adminPassword ? secretsEqual(password, opts.adminPassword) : stored ? await verifyPassword(password, stored, gate) : false;
				if (!good) {
					log.warn('login failed: wrong password', { address: clientKey });
					return { ok: false, code: 'UNAUTHORIZED', error: stored || opts.adminPassword ? 'Wrong password.' : 'No admin password is set yet: use /setup with the setup token from the log.' };
				}
			} catch (err) {
				if (err instanceof HashingBusyError) {
					log.warn('login refused: password checks busy', { address: clientKey });
					return tooMany(1000);
				}
				throw err;
			} finally {
				attempt.done(good);
			}
			log.info('login', { address: clientKey });
			return { ok: true, session: await createSession('admin') };
		},

		async logout(sessionId: string | undefined) {
			if (!sessionId) return;
			cache.delete(sha256(sessionId));
			await db.delete(sessions).where(eq(sessions.idHash, sha256(sessionId)));
		},

		/** Ends every session (this one included) by rotating the credential epoch. */
		async logoutEverywhere() {
			await rotateEpoch();
			await db.delete(sessions);
			log.info('logged out everywhere: every session has ended');
		},

		/**
		 * Changes the stored admin password (not a configured VMW_ADMIN_PASSWORD): every other
		 * session ends, the caller gets a fresh one.
		 */
		async changePassword({ current, next, clientKey }: { current: string; next: string; clientKey: string }): Promise<LoginResult> {
			if (opts.adminPassword) return { ok: false, code: 'BAD_REQUEST', error: 'The password comes from VMW_ADMIN_PASSWORD: change it there and restart.' };
			const attempt = throttle.attempt([`addr:${clientKey}`]);
			if (!attempt.ok) return tooMany(attempt.retryAfterMs);
			let good = false;
			try {
				const stored = await storedAdminHash();
				good = stored !== null && (await verifyPassword(current, stored, gate));
				if (!good) {
					log.warn('password change failed: wrong current password', { address: clientKey });
					return { ok: false, code: 'UNAUTHORIZED', error: 'The current password is wrong.' };
				}
				await putSetting(db, ADMIN_HASH_KEY, await hashPassword(next, gate), now());
			} catch (err) {
				if (err instanceof HashingBusyError) return tooMany(1000);
				throw err;
			} finally {
				attempt.done(good);
			}
			await rotateEpoch();
			await db.delete(sessions);
			log.info('admin password changed: every other session has ended', { address: clientKey });
			return { ok: true, session: await createSession('admin') };
		},

		/**
		 * Sets the first password with the one-time setup token. The token is checked and
		 * claimed before any await, so of two racing requests one wins and the other is told
		 * "setup is already done" (never a database error carrying SQL and the new hash).
		 */
		async completeSetup({ token, password, clientKey }: { token: string; password: string; clientKey: string }): Promise<LoginResult> {
			const done = { ok: false as const, code: 'BAD_REQUEST' as const, error: 'Setup is already done: log in with the admin password.' };
			if (!setupToken || opts.adminPassword) return done;
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
			try {
				const hash = await hashPassword(password, gate);
				const inserted = await db.insert(settings).values({ key: ADMIN_HASH_KEY, value: hash, updatedAt: now() }).onConflictDoNothing().returning({ key: settings.key });
				if (inserted.length === 0) return done;
			} catch (err) {
				setupToken = claimed; // nothing was stored: the token stays usable
				if (err instanceof HashingBusyError) return tooMany(1000);
				log.error('setup failed', { err: new Error('could not store the admin password hash') });
				return { ok: false, code: 'INTERNAL_SERVER_ERROR', error: 'Could not store the password; see the server log.' };
			}
			log.info('Admin password set through /setup; the setup token is spent.', { address: clientKey });
			return { ok: true, session: await createSession('admin') };
		}
	};
}

const apiTokenPath = (dataDir: string) => path.resolve(dataDir, 'api-token');

export type LoginResult =
	| { ok: true; session: { id: string; expiresAt: number } }
	| { ok: false; code: 'UNAUTHORIZED' | 'TOO_MANY_REQUESTS' | 'BAD_REQUEST' | 'INTERNAL_SERVER_ERROR'; error: string };

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
