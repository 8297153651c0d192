// Sessions: HttpOnly SameSite=Strict cookies tied to the user's credential (a new password or
// "log out everywhere" rotates it, which ends them). Cached in memory by the sha256 of the id, so
// an authenticated request reads no DB; dropped on logout, expiry, idle and credential change.
import { eq, lt, or } from 'drizzle-orm';
import type { Db } from '../db';
import { sessions } from '../db/schema';
import type { Principal } from './principal';
import type { KnownUser } from './users';
import { LAST_SEEN_WRITE_MS, newSecret, sha256 } from './secrets';

export const SESSION_COOKIE = 'vmw_session';
/** Over https the cookie is `__Host-` prefixed: Secure, Path=/, no Domain, so a sibling subdomain cannot set or shadow it. */
export const SECURE_SESSION_COOKIE = '__Host-vmw_session';

/** The session cookie's name: `__Host-vmw_session` when VMW_ORIGIN is https, plain on http://localhost. */
export function sessionCookieName(origin: string | null): string {
	return origin?.startsWith('https://') ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
}

export interface SessionsOptions {
	db: Db;
	now: () => number;
	ttlMs: number;
	/** a session unused this long ends */
	idleMs: number;
	/** The user as it is now (role, credential); undefined once deleted. */
	userById: (id: number) => KnownUser | undefined;
}

export function createSessions({ db, now, ttlMs, idleMs, userById }: SessionsOptions) {
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

	return {
		/** A new session for the user; expired and idle ones are swept at the same time. */
		async create(u: KnownUser) {
			const id = newSecret();
			const t = now();
			const expiresAt = t + ttlMs;
			await db.insert(sessions).values({
				idHash: sha256(id),
				role: u.role,
				userId: u.id,
				createdAt: t,
				expiresAt,
				credential: u.credential,
				lastSeenAt: t
			});
			remember(sha256(id), {
				userId: u.id,
				expiresAt,
				credential: u.credential,
				lastSeenAt: t,
				writtenAt: t
			});
			await db
				.delete(sessions)
				.where(or(lt(sessions.expiresAt, t), lt(sessions.lastSeenAt, t - idleMs)));
			return { id, expiresAt };
		},

		/** The session's user with their current role; null when it is unknown, expired, idle or its credential changed. */
		async authenticate(sessionId: string | undefined): Promise<Principal | null> {
			if (!sessionId || sessionId.length > 100) return null;
			const idHash = sha256(sessionId);
			const t = now();
			let s = cache.get(idHash);
			if (!s) {
				const row = await db.query.sessions.findFirst({ where: eq(sessions.idHash, idHash) });
				if (!row) return null;
				s = {
					userId: row.userId ?? -1,
					expiresAt: row.expiresAt,
					credential: row.credential,
					lastSeenAt: row.lastSeenAt,
					writtenAt: row.lastSeenAt
				};
				remember(idHash, s);
			}
			const user = userById(s.userId);
			if (
				!user ||
				s.expiresAt <= t ||
				s.lastSeenAt <= t - idleMs ||
				s.credential !== user.credential
			) {
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

		async end(sessionId: string) {
			cache.delete(sha256(sessionId));
			await db.delete(sessions).where(eq(sessions.idHash, sha256(sessionId)));
		},

		async endAllOf(userId: number) {
			for (const [k, s] of cache) if (s.userId === userId) cache.delete(k);
			await db.delete(sessions).where(eq(sessions.userId, userId));
		}
	};
}
