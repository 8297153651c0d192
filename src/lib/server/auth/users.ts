// Users with roles (viewer, operator, admin), kept in memory (few, changed only here) so role and
// credential checks read no DB; the one-time migration from the single admin password; the user
// "admin" that VMW_ADMIN_PASSWORD sets; and user administration (admin role; the router checks it).
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db';
import { sessions, settings, users } from '../db/schema';
import type { Logger } from '../log';
import {
	HashingBusyError,
	hashPassword,
	needsRehash,
	verifyPassword,
	type createHashGate
} from './passwords';
import type { Role } from './principal';
import { tooMany, type UserChange } from './results';
import { newSecret } from './secrets';

/** Where the single admin password lived before users: migrated to the user "admin", then removed. */
const LEGACY_ADMIN_HASH_KEY = 'admin_password_hash';
/** The user VMW_ADMIN_PASSWORD and /setup create. */
export const FIRST_ADMIN = 'admin';
export const USER_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export interface UserView {
	id: number;
	name: string;
	role: Role;
	createdAt: number;
	/** the password comes from VMW_ADMIN_PASSWORD and is changed there */
	managedByConfig: boolean;
}

export interface KnownUser {
	id: number;
	name: string;
	role: Role;
	passwordHash: string;
	credential: string;
	createdAt: number;
}

export interface UsersOptions {
	db: Db;
	log: Logger;
	now: () => number;
	/** the gate password hashes caused by requests go through */
	gate: ReturnType<typeof createHashGate>;
	enabled: boolean;
	adminPassword: string | null;
	/** Ends every session of the user (their password changed, or they were deleted). */
	endSessionsOf: (userId: number) => Promise<void>;
}

export async function createUsers({
	db,
	log,
	now,
	gate,
	enabled,
	adminPassword,
	endSessionsOf
}: UsersOptions) {
	const known = new Map<number, KnownUser>();
	for (const u of await db.select().from(users)) known.set(u.id, u);
	const byName = (name: string) => [...known.values()].find((u) => u.name === name);
	const admins = () => [...known.values()].filter((u) => u.role === 'admin').length;

	async function insertUser(
		name: string,
		role: Role,
		passwordHash: string
	): Promise<KnownUser | null> {
		const t = now();
		const [row] = await db
			.insert(users)
			.values({ name, role, passwordHash, credential: newSecret(), createdAt: t, updatedAt: t })
			.onConflictDoNothing()
			.returning();
		if (!row) return null;
		known.set(row.id, row);
		return row;
	}

	/** New password hash and/or role; a new password rotates the credential (sessions end). */
	async function updateUser(u: KnownUser, change: { role?: Role; passwordHash?: string }) {
		const credential = change.passwordHash ? newSecret() : u.credential;
		const next = { ...u, ...change, credential };
		await db
			.update(users)
			.set({ role: next.role, passwordHash: next.passwordHash, credential, updatedAt: now() })
			.where(eq(users.id, u.id));
		known.set(u.id, next);
		if (change.passwordHash) await endSessionsOf(u.id);
	}

	/** Same password, today's hash parameters (passwords.ts): sessions stay, nothing else changes. */
	async function upgradeHash(u: KnownUser, password: string) {
		const passwordHash = await hashPassword(password, gate);
		await db.update(users).set({ passwordHash }).where(eq(users.id, u.id));
		known.set(u.id, { ...(known.get(u.id) ?? u), passwordHash });
	}

	// Migration from the single admin password (decision 0003): it becomes the user "admin".
	if (known.size === 0) {
		const legacy = await getSetting(db, LEGACY_ADMIN_HASH_KEY);
		if (legacy) {
			await insertUser(FIRST_ADMIN, 'admin', legacy);
			await db.delete(sessions).where(eq(sessions.credential, ''));
			log.info(
				'The admin password became the user "admin" (log in with name admin and the same password)'
			);
		}
	}
	if (known.size > 0) await db.delete(settings).where(eq(settings.key, LEGACY_ADMIN_HASH_KEY));
	// VMW_ADMIN_PASSWORD is the password of the user "admin": created, or updated when it changed
	// (edit the env file, restart: that user's sessions end).
	if (enabled && adminPassword) {
		const admin = byName(FIRST_ADMIN);
		if (!admin) await insertUser(FIRST_ADMIN, 'admin', await hashPassword(adminPassword));
		else if (!(await verifyPassword(adminPassword, admin.passwordHash))) {
			await updateUser(admin, { passwordHash: await hashPassword(adminPassword), role: 'admin' });
			log.info('VMW_ADMIN_PASSWORD changed: the sessions of the user "admin" have ended');
		} else if (needsRehash(admin.passwordHash)) await upgradeHash(admin, adminPassword);
	}

	const view = (u: KnownUser): UserView => ({
		id: u.id,
		name: u.name,
		role: u.role,
		createdAt: u.createdAt,
		managedByConfig: u.name === FIRST_ADMIN && adminPassword !== null
	});

	return {
		count: () => known.size,
		byId: (id: number) => known.get(id),
		byName,
		insertUser,
		updateUser,
		upgradeHash,

		/** A new credential: every session of the user ends. */
		async rotateCredential(u: KnownUser) {
			const credential = newSecret();
			await db.update(users).set({ credential, updatedAt: now() }).where(eq(users.id, u.id));
			known.set(u.id, { ...u, credential });
			await endSessionsOf(u.id);
		},

		listUsers(): UserView[] {
			return [...known.values()].sort((a, b) => a.id - b.id).map(view);
		},

		async createUser({
			name,
			role,
			password
		}: {
			name: string;
			role: Role;
			password: string;
		}): Promise<UserChange & { id?: number }> {
			const n = name.toLowerCase();
			if (!USER_NAME.test(n))
				return {
					ok: false,
					code: 'BAD_REQUEST',
					error: 'A name is 1–64 lower-case letters, digits, dot, dash or underscore.'
				};
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

		async setUser({
			id,
			role,
			password
		}: {
			id: number;
			role?: Role;
			password?: string;
		}): Promise<UserChange> {
			const u = known.get(id);
			if (!u) return { ok: false, code: 'NOT_FOUND', error: 'No such user.' };
			if (role && role !== 'admin' && u.role === 'admin' && admins() === 1)
				return {
					ok: false,
					code: 'BAD_REQUEST',
					error: 'This is the last admin: make another admin first.'
				};
			if (password && u.name === FIRST_ADMIN && adminPassword)
				return {
					ok: false,
					code: 'BAD_REQUEST',
					error: 'This password comes from VMW_ADMIN_PASSWORD: change it there and restart.'
				};
			try {
				await updateUser(u, {
					...(role ? { role } : {}),
					...(password ? { passwordHash: await hashPassword(password, gate) } : {})
				});
			} catch (err) {
				if (err instanceof HashingBusyError) return tooMany(1000);
				throw err;
			}
			log.info('user changed', {
				user: u.name,
				role: role ?? u.role,
				password: password ? 'changed' : 'unchanged'
			});
			return { ok: true };
		},

		async deleteUser(id: number): Promise<UserChange> {
			const u = known.get(id);
			if (!u) return { ok: false, code: 'NOT_FOUND', error: 'No such user.' };
			if (u.role === 'admin' && admins() === 1)
				return {
					ok: false,
					code: 'BAD_REQUEST',
					error: 'This is the last admin: make another admin first.'
				};
			await endSessionsOf(id);
			await db.delete(users).where(and(eq(users.id, id), eq(users.name, u.name)));
			known.delete(id);
			log.info('user deleted', { user: u.name });
			return { ok: true };
		}
	};
}

async function getSetting(db: Db, key: string): Promise<string | null> {
	const row = await db.query.settings.findFirst({ where: eq(settings.key, key) });
	return row?.value ?? null;
}
