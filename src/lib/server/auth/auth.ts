// Auth (decision 0003, extended in issue 16 / decision 0010): users with roles (viewer, operator,
// admin), sessions in HttpOnly SameSite=Strict cookies tied to the user's credential, and one
// static read-only API token for curl, scripts and Prometheus. This module puts the parts
// together (users.ts, sessions.ts, tokens.ts) and owns what crosses them: authenticating a
// request, password checks under the throttles, login, password change and the one-time setup.
import type { Db } from '../db';
import type { Logger } from '../log';
import {
	createHashGate,
	HashingBusyError,
	hashPassword,
	needsRehash,
	secretsEqual,
	verifyPassword
} from './passwords';
import { createThrottle } from './throttle';
import { bearerToken } from './bearer';
import type { Principal } from './principal';
import { tooMany, type LoginResult } from './results';
import { newSecret } from './secrets';
import { createSessions } from './sessions';
import { createTokens, readOnlyApiToken, TOKEN_PREFIX } from './tokens';
import { createUsers, FIRST_ADMIN, type KnownUser } from './users';

export { ROLES, hasRole, type Principal, type Role } from './principal';
export { TOKEN_PREFIX, type TokenScope, type TokenView } from './tokens';
export { SESSION_COOKIE, SECURE_SESSION_COOKIE, sessionCookieName } from './sessions';
export { FIRST_ADMIN, USER_NAME, type UserView } from './users';
export type { LoginResult, UserChange } from './results';
export { bearerToken } from './bearer';
export { isSecureRequest, refuseCrossSiteMutation, refuseCrossSiteRead } from './cross-site';

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
	const { apiToken, apiTokenFile } = await readOnlyApiToken({
		apiToken: opts.apiToken,
		dataDir: opts.dataDir,
		log
	});
	const throttle = createThrottle({ now });
	// Per account: more free tries (others' guesses must not lock a user out at once).
	const accountThrottle = createThrottle({ now, freeTries: 20, maxConcurrent: 4 });
	// Password checks caused by requests go through one gate (one at a time, 4/s, burst 8).
	const gate = createHashGate();

	const sessions = createSessions({
		db,
		now,
		ttlMs: opts.sessionTtlMs,
		idleMs: opts.sessionIdleMs ?? opts.sessionTtlMs,
		userById: (id) => users.byId(id)
	});
	const tokens = await createTokens({ db, log, now });
	const users = await createUsers({
		db,
		log,
		now,
		gate,
		enabled: opts.enabled,
		adminPassword: opts.adminPassword,
		endSessionsOf: (id) => sessions.endAllOf(id)
	});

	let setupToken: string | null = null;
	if (opts.enabled && users.count() === 0) {
		setupToken = newSecret();
		// Printed once so the operator, not the first visitor, can claim the install.
		log.warn(
			`No admin password is set. Open /setup and enter this one-time setup token: ${setupToken}`
		);
	}

	// A hash to check against for an unknown user name, so its answer takes as long as a real one.
	const decoyHash = await hashPassword(newSecret());

	/** Runs a password check under both throttles; null when refused (the result says why). */
	async function checkPassword(
		name: string,
		password: string,
		clientKey: string,
		what: string
	): Promise<{ user: KnownUser } | Exclude<LoginResult, { ok: true }>> {
		const attempt = throttle.attempt([`addr:${clientKey}`]);
		if (!attempt.ok) {
			log.warn(`${what} refused: too many attempts`, {
				address: clientKey,
				user: name,
				reason: attempt.reason
			});
			return tooMany(attempt.retryAfterMs);
		}
		const account = accountThrottle.attempt([`user:${name}`]);
		if (!account.ok) {
			attempt.done(false);
			log.warn(`${what} refused: too many attempts for this user`, {
				address: clientKey,
				user: name,
				reason: account.reason
			});
			return tooMany(account.retryAfterMs);
		}
		let good = false;
		try {
			const user = users.byName(name);
			good = await verifyPassword(password, user?.passwordHash ?? decoyHash, gate);
			if (!good || !user) {
				good = false;
				log.warn(`${what} failed: wrong name or password`, { address: clientKey, user: name });
				return {
					ok: false,
					code: 'UNAUTHORIZED',
					error:
						users.count() === 0
							? 'No admin password is set yet: use /setup with the setup token from the log.'
							: 'Wrong name or password.'
				};
			}
			// best effort: a busy hash gate or a DB error only postpones it to the next login
			if (needsRehash(user.passwordHash))
				await users
					.upgradeHash(user, password)
					.catch((err) => log.warn('password hash upgrade postponed', { user: name, err }));
			return { user: users.byId(user.id) ?? user };
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

	return {
		enabled: opts.enabled,
		apiToken,
		apiTokenFile,
		/** The one-time setup token while setup is pending (for the start-up banner), else null. */
		pendingSetupToken: () => setupToken,
		/** 'needs-setup' while no user exists: only the setup token can create the first admin. */
		async state(): Promise<'ready' | 'needs-setup'> {
			return users.count() > 0 ? 'ready' : 'needs-setup';
		},

		async authenticate({
			authorization,
			sessionId
		}: {
			authorization: string | null;
			sessionId: string | undefined;
		}): Promise<Principal | null> {
			if (!opts.enabled) return { role: 'admin', via: 'auth-off' };
			const bearer = bearerToken(authorization);
			// A Bearer header decides alone: a wrong token is refused even with a valid cookie.
			if (bearer !== null) {
				if (bearer.startsWith(TOKEN_PREFIX)) return tokens.principal(bearer);
				return secretsEqual(bearer, apiToken) ? { role: 'viewer', via: 'token' } : null;
			}
			return sessions.authenticate(sessionId);
		},

		/**
		 * A new session for the right name and password. The attempt is counted before anything
		 * is awaited (see throttle.ts); every failure and refusal is logged with the address.
		 */
		async login({
			name = FIRST_ADMIN,
			password,
			clientKey
		}: {
			name?: string;
			password: string;
			clientKey: string;
		}): Promise<LoginResult> {
			const checked = await checkPassword(name.toLowerCase(), password, clientKey, 'login');
			if (!('user' in checked)) return checked;
			log.info('login', { address: clientKey, user: checked.user.name });
			return { ok: true, session: await sessions.create(checked.user) };
		},

		async logout(sessionId: string | undefined) {
			if (!sessionId) return;
			await sessions.end(sessionId);
		},

		/** Ends every session of this user (this one included) by rotating the credential. */
		async logoutEverywhere(userId: number) {
			const u = users.byId(userId);
			if (!u) return;
			await users.rotateCredential(u);
			log.info('logged out everywhere', { user: u.name });
		},

		/** The user's own password; every session of theirs ends, the caller gets a fresh one. */
		async changePassword({
			userId,
			current,
			next,
			clientKey
		}: {
			userId: number;
			current: string;
			next: string;
			clientKey: string;
		}): Promise<LoginResult> {
			const u = users.byId(userId);
			if (!u) return { ok: false, code: 'UNAUTHORIZED', error: 'Log in again.' };
			if (u.name === FIRST_ADMIN && opts.adminPassword)
				return {
					ok: false,
					code: 'BAD_REQUEST',
					error: 'The password comes from VMW_ADMIN_PASSWORD: change it there and restart.'
				};
			const checked = await checkPassword(u.name, current, clientKey, 'password change');
			if (!('user' in checked))
				return checked.code === 'UNAUTHORIZED'
					? { ...checked, error: 'The current password is wrong.' }
					: checked;
			try {
				await users.updateUser(u, { passwordHash: await hashPassword(next, gate) });
			} catch (err) {
				if (err instanceof HashingBusyError) return tooMany(1000);
				throw err;
			}
			log.info('password changed: the other sessions have ended', {
				address: clientKey,
				user: u.name
			});
			return { ok: true, session: await sessions.create(users.byId(userId)!) };
		},

		/**
		 * Creates the first admin with the one-time setup token. The token is checked and
		 * claimed before any await, so of two racing requests one wins and the other is told
		 * "setup is already done" (never a database error carrying SQL and the new hash).
		 */
		async completeSetup({
			token,
			password,
			clientKey
		}: {
			token: string;
			password: string;
			clientKey: string;
		}): Promise<LoginResult> {
			const done = {
				ok: false as const,
				code: 'BAD_REQUEST' as const,
				error: 'Setup is already done: log in with the admin password.'
			};
			if (!setupToken || users.count() > 0) return done;
			const attempt = throttle.attempt([`addr:${clientKey}`]);
			if (!attempt.ok) {
				log.warn('setup refused: too many attempts', {
					address: clientKey,
					reason: attempt.reason
				});
				return tooMany(attempt.retryAfterMs);
			}
			if (!secretsEqual(token.trim(), setupToken)) {
				attempt.done(false);
				log.warn('setup failed: wrong setup token', { address: clientKey });
				return {
					ok: false,
					code: 'BAD_REQUEST',
					error: 'Wrong setup token: use the one printed in the server log.'
				};
			}
			attempt.done(true);
			const claimed = setupToken;
			setupToken = null;
			let admin: KnownUser | null;
			try {
				admin = await users.insertUser(FIRST_ADMIN, 'admin', await hashPassword(password, gate));
				if (!admin) return done;
			} catch (err) {
				setupToken = claimed; // nothing was stored: the token stays usable
				if (err instanceof HashingBusyError) return tooMany(1000);
				log.error('setup failed', { err: new Error('could not store the admin user') });
				return {
					ok: false,
					code: 'INTERNAL_SERVER_ERROR',
					error: 'Could not store the password; see the server log.'
				};
			}
			log.info('Admin user created through /setup; the setup token is spent.', {
				address: clientKey
			});
			return { ok: true, session: await sessions.create(admin) };
		},

		// ---- API tokens (admin role; the router checks it) ----
		listTokens: tokens.listTokens,
		createToken: tokens.createToken,
		revokeToken: tokens.revokeToken,

		// ---- user administration (admin role; the router checks it) ----
		listUsers: users.listUsers,
		createUser: users.createUser,
		setUser: users.setUser,
		deleteUser: users.deleteUser
	};
}
