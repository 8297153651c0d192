// API tokens: the static read-only token (VMW_API_TOKEN, or one generated into the data dir) and
// the managed tokens admins create and revoke, kept in memory by hash so a token request reads no DB.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import type { Db } from '../db';
import { apiTokens } from '../db/schema';
import type { Logger } from '../log';
import type { Principal } from './principal';
import type { UserChange } from './results';
import { LAST_SEEN_WRITE_MS, newSecret, sha256 } from './secrets';

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

/** The read-only token and the file it is kept in (null when it comes from VMW_API_TOKEN). */
export async function readOnlyApiToken({
	apiToken,
	dataDir,
	log
}: {
	apiToken: string | null;
	dataDir: string;
	log: Logger;
}) {
	return {
		apiToken: apiToken ?? (await persistedApiToken(dataDir, log)),
		apiTokenFile: apiToken ? null : apiTokenPath(dataDir)
	};
}

const apiTokenPath = (dataDir: string) => path.resolve(dataDir, 'api-token');

/** The read-only API token when none is configured: generated once, kept in the data dir (0600). */
async function persistedApiToken(dataDir: string, log: Logger): Promise<string> {
	const file = apiTokenPath(dataDir);
	try {
		const t = (await readFile(file, 'utf8')).trim();
		if (t.length >= 24) return t;
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
			throw new Error(`Cannot read the API token file ${file}`, { cause: err });
	}
	const token = newSecret();
	await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
	await writeFile(file, token + '\n', { mode: 0o600 });
	log.info(`Generated the read-only API token in ${file} (set VMW_API_TOKEN to choose your own).`);
	return token;
}

/** The managed API tokens (admin role; the router checks it). */
export async function createTokens({ db, log, now }: { db: Db; log: Logger; now: () => number }) {
	type KnownToken = TokenView & { tokenHash: string; writtenAt: number };
	const tokens = new Map<string, KnownToken>();
	for (const t of await db.select().from(apiTokens))
		tokens.set(t.tokenHash, { ...t, writtenAt: t.lastUsedAt ?? 0 });
	const tokenView = ({ tokenHash: _h, writtenAt: _w, ...v }: KnownToken): TokenView => v;

	return {
		/** Who a `vmw_…` bearer token is; null when unknown, revoked or expired. */
		async principal(secret: string): Promise<Principal | null> {
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
		},

		listTokens(): TokenView[] {
			return [...tokens.values()].sort((a, b) => a.id - b.id).map(tokenView);
		},

		/** A new token; its secret is returned here once and never stored. */
		async createToken({
			name,
			scope,
			expiresInDays,
			createdBy
		}: {
			name: string;
			scope: TokenScope;
			expiresInDays: number | null;
			createdBy: string;
		}) {
			const secret = TOKEN_PREFIX + newSecret();
			const t = now();
			const row = {
				name,
				scope,
				tokenHash: sha256(secret),
				createdAt: t,
				createdBy,
				expiresAt: expiresInDays === null ? null : t + expiresInDays * 86_400_000,
				lastUsedAt: null,
				revokedAt: null
			};
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
		}
	};
}
