// Minimal auth until the full auth work lands: one admin password (config or /setup), sessions in
// HttpOnly SameSite=Strict cookies, and one static read-only API token for curl, scripts and Prometheus.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { eq, lt } from 'drizzle-orm';
import type { Db } from '../db';
import { sessions, settings } from '../db/schema';
import type { Logger } from '../log';
import { HashingBusyError, hashPassword, secretsEqual, verifyPassword } from './passwords';
import { createThrottle } from './throttle';

export type Role = 'viewer' | 'operator' | 'admin';
export interface Principal {
	role: Role;
	via: 'session' | 'token' | 'auth-off';
}

export const SESSION_COOKIE = 'vmw_session';
const ADMIN_HASH_KEY = 'admin_password_hash';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const newSecret = () => randomBytes(32).toString('base64url');

export interface AuthOptions {
	db: Db;
	enabled: boolean;
	apiToken: string | null;
	adminPassword: string | null;
	sessionTtlMs: number;
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
		const row = await db.query.settings.findFirst({ where: eq(settings.key, ADMIN_HASH_KEY) });
		return row?.value ?? null;
	}

	const throttle = createThrottle({ now });
	const tooMany = (retryAfterMs: number) =>
		({ ok: false as const, code: 'TOO_MANY_REQUESTS' as const, error: `Too many attempts; try again in ${Math.ceil(retryAfterMs / 1000)} s.` });

	async function createSession(role: Role) {
		const id = newSecret();
		const expiresAt = now() + opts.sessionTtlMs;
		await db.insert(sessions).values({ idHash: sha256(id), role, createdAt: now(), expiresAt });
		await db.delete(sessions).where(lt(sessions.expiresAt, now()));
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
			if (authorization?.startsWith('Bearer ')) {
				return secretsEqual(authorization.slice(7).trim(), apiToken) ? { role: 'viewer', via: 'token' } : null;
			}
			if (!sessionId) return null;
			const row = await db.query.sessions.findFirst({ where: eq(sessions.idHash, sha256(sessionId)) });
			if (!row || row.expiresAt <= now()) return null;
			return { role: row.role, via: 'session' };
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
				good = opts.adminPassword ? secretsEqual(password, opts.adminPassword) : stored ? await verifyPassword(password, stored) : false;
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
			if (sessionId) await db.delete(sessions).where(eq(sessions.idHash, sha256(sessionId)));
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
				const hash = await hashPassword(password);
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
	await mkdir(path.dirname(file), { recursive: true });
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
export function refuseCrossSiteMutation(request: Request, url: URL): string | null {
	if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return null;
	if (request.method !== 'POST') return `method ${request.method} is not allowed`;
	const type = request.headers.get('content-type')?.split(';')[0].trim().toLowerCase();
	if (type !== 'application/json') return 'mutations need Content-Type: application/json';
	const site = request.headers.get('sec-fetch-site');
	if (site && site !== 'same-origin' && site !== 'none') return `cross-site request refused (Sec-Fetch-Site: ${site})`;
	const origin = request.headers.get('origin');
	// Browsers always send Origin on POST; curl and scripts with the bearer token may not.
	// Hosts are compared, not schemes: without VMW_ORIGIN, adapter-node guesses https for
	// url.protocol even when the app is served over plain http.
	if (origin !== null && hostOf(origin) !== url.host) return `cross-origin request refused (Origin: ${origin})`;
	if (origin === null && !request.headers.get('authorization')) return 'missing Origin header';
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
