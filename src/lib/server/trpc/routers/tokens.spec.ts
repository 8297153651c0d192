// API tokens through createCaller on real services.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../config';
import { createServices, type Services } from '../../services';
import { createCallerFactory } from '../init';
import { createInnerContext } from '../context';
import { appRouter } from '../router';
import { actions, apiTokens } from '../../db/schema';

describe('API tokens', () => {
	let dir: string;
	let services: Services;
	const admin = () => createCallerFactory(appRouter)(createInnerContext({ services, principal: { role: 'admin', via: 'session', userId: 1, userName: 'admin' }, clientKey: 'spec' }));
	const bearer = async (secret: string) => services.auth.authenticate({ authorization: `Bearer ${secret}`, sessionId: undefined });
	const callerFor = async (secret: string) => createCallerFactory(appRouter)(createInnerContext({ services, principal: await bearer(secret), clientKey: 'tok' }));

	beforeEach(async () => {
		dir = await mkdtemp(path.join(tmpdir(), 'vmw-tokens-'));
		services = await createServices(
			parseConfig({ VMW_DATABASE_URL: `file:${path.join(dir, 'db')}`, VMW_DATA_DIR: dir, VMW_API_TOKEN: 'x'.repeat(32), VMW_ADMIN_PASSWORD: 'configured admin password', VMW_LOG_LEVEL: 'error' }),
			{ startSampler: false }
		);
	});
	afterEach(async () => {
		await services.stop();
		await rm(dir, { recursive: true, force: true });
	});

	it('a read token is a viewer and cannot call a mutation; an operate token is an operator; neither administers', async () => {
		const read = await admin().tokens.create({ name: 'prometheus', scope: 'read', expiresInDays: null });
		const operate = await admin().tokens.create({ name: 'ci deploy', scope: 'operate', expiresInDays: 30 });
		expect(read.secret).toMatch(/^vmw_[\w-]{43}$/);
		expect(await bearer(read.secret)).toEqual({ role: 'viewer', via: 'token', tokenId: read.id });
		expect(await bearer(operate.secret)).toEqual({ role: 'operator', via: 'token', tokenId: operate.id });
		expect(await bearer('vmw_' + 'A'.repeat(43))).toBeNull();
		const asRead = await callerFor(read.secret);
		await expect(asRead.users.create({ name: 'x', role: 'admin', password: 'long enough pass' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
		await expect(asRead.tokens.revoke({ id: read.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
		await expect((await callerFor(operate.secret)).tokens.create({ name: 'y', scope: 'operate', expiresInDays: null })).rejects.toMatchObject({ code: 'FORBIDDEN' });
	});

	it('stored hashed, shown once; last use recorded; a revoked token fails on the next request', async () => {
		const t = await admin().tokens.create({ name: 'script', scope: 'read', expiresInDays: null });
		expect(await bearer(t.secret)).not.toBeNull();
		const [listed] = await admin().tokens.list();
		expect(listed).toMatchObject({ id: t.id, name: 'script', scope: 'read', createdBy: 'session:admin:admin', revokedAt: null });
		expect(listed.lastUsedAt).toBeGreaterThan(0);
		const stored = await services.db.select().from(apiTokens);
		const everything = JSON.stringify([listed, stored, await services.db.select().from(actions)]);
		expect(everything).not.toContain(t.secret);
		expect(everything).not.toContain(t.secret.slice(4));

		await admin().tokens.revoke({ id: t.id });
		expect(await bearer(t.secret)).toBeNull();
		await expect(admin().tokens.revoke({ id: 999 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
	});

	it('an expired token is refused', async () => {
		const t = await admin().tokens.create({ name: 'short', scope: 'read', expiresInDays: 1 });
		const [row] = await services.db.select().from(apiTokens);
		expect(row.expiresAt! - row.createdAt).toBe(86_400_000);
		// A restart loads tokens from the DB: make this one expired there and restart.
		await services.db.update(apiTokens).set({ expiresAt: Date.now() - 1 });
		const config = services.config;
		await services.stop();
		services = await createServices(config, { startSampler: false });
		expect(await bearer(t.secret)).toBeNull();
	});
});
