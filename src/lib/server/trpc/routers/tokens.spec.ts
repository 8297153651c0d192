// API tokens through createCaller on real services.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Services } from '../../services';
import { createTestServices, type TestServices } from '../../../../../tests/helpers/services';
import { actions, apiTokens } from '../../db/schema';

describe('API tokens', () => {
	let harness: TestServices;
	let services: Services;
	const admin = () =>
		harness.callerAs(
			{ role: 'admin', via: 'session', userId: 1, userName: 'admin' },
			{ clientKey: 'spec' }
		);
	const bearer = async (secret: string) =>
		services.auth.authenticate({ authorization: `Bearer ${secret}`, sessionId: undefined });
	const callerFor = async (secret: string) =>
		harness.callerAs(await bearer(secret), { clientKey: 'tok' });

	beforeEach(async () => {
		harness = await createTestServices({
			env: { VMW_ADMIN_PASSWORD: 'configured admin password' }
		});
		services = harness.services;
	});
	afterEach(async () => {
		await harness.stop();
	});

	it('a read token is a viewer and cannot call a mutation; an operate token is an operator; neither administers', async () => {
		const read = await admin().tokens.create({
			name: 'prometheus',
			scope: 'read',
			expiresInDays: null
		});
		const operate = await admin().tokens.create({
			name: 'ci deploy',
			scope: 'operate',
			expiresInDays: 30
		});
		expect(read.secret).toMatch(/^vmw_[\w-]{43}$/);
		expect(await bearer(read.secret)).toEqual({ role: 'viewer', via: 'token', tokenId: read.id });
		expect(await bearer(operate.secret)).toEqual({
			role: 'operator',
			via: 'token',
			tokenId: operate.id
		});
		expect(await bearer('vmw_' + 'A'.repeat(43))).toBeNull();
		const asRead = await callerFor(read.secret);
		await expect(
			asRead.users.create({ name: 'x', role: 'admin', password: 'long enough pass' })
		).rejects.toMatchObject({ code: 'FORBIDDEN' });
		await expect(asRead.tokens.revoke({ id: read.id })).rejects.toMatchObject({
			code: 'FORBIDDEN'
		});
		await expect(
			(await callerFor(operate.secret)).tokens.create({
				name: 'y',
				scope: 'operate',
				expiresInDays: null
			})
		).rejects.toMatchObject({ code: 'FORBIDDEN' });
	});

	it('stored hashed, shown once; last use recorded; a revoked token fails on the next request', async () => {
		const t = await admin().tokens.create({ name: 'script', scope: 'read', expiresInDays: null });
		expect(await bearer(t.secret)).not.toBeNull();
		const [listed] = await admin().tokens.list();
		expect(listed).toMatchObject({
			id: t.id,
			name: 'script',
			scope: 'read',
			createdBy: 'session:admin:admin',
			revokedAt: null
		});
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
		services = await harness.restart();
		expect(await bearer(t.secret)).toBeNull();
	});
});
