// Users and roles through createCaller on real services (fresh migrated SQLite file).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import type { Services } from '../../services';
import { appRouter } from '../router';
import { actions, settings } from '../../db/schema';
import { hashPassword } from '../../auth/passwords';
import { openDb } from '../../db';
import { SCRYPT_TEST_TIMEOUT_MS } from '../../../../../tests/helpers/timeouts';
import { createTestServices, type TestServices } from '../../../../../tests/helpers/services';

const ADMIN_PASSWORD = 'configured admin password';

describe('users and roles', { timeout: SCRYPT_TEST_TIMEOUT_MS }, () => {
	let harness: TestServices;
	let services: Services;
	const call = (sessionId?: string, headers: Headers | null = null) =>
		harness.callerAs(null, { sessionId, clientKey: 'spec', resHeaders: headers });
	/** A caller as the logged-in user (authenticated the way hooks.server.ts does). */
	async function as(name: string, password: string) {
		const res = await services.auth.login({ name, password, clientKey: `spec-${name}` });
		if (!res.ok) throw new Error(`login as ${name} failed: ${res.error}`);
		const principal = await services.auth.authenticate({
			authorization: null,
			sessionId: res.session.id
		});
		return {
			sessionId: res.session.id,
			caller: harness.callerAs(principal, { sessionId: res.session.id, clientKey: `spec-${name}` })
		};
	}

	beforeEach(async () => {
		harness = await createTestServices({
			env: { VMW_ADMIN_PASSWORD: ADMIN_PASSWORD, VMW_HOST_ID: 'vm-test' }
		});
		services = harness.services;
	});
	afterEach(async () => {
		await harness.stop();
	});

	it('VMW_ADMIN_PASSWORD is the user "admin"; an admin creates an operator and a viewer who log in with their role', async () => {
		const admin = await as('admin', ADMIN_PASSWORD);
		await admin.caller.users.create({
			name: 'Olga',
			role: 'operator',
			password: 'operator password 1'
		});
		await admin.caller.users.create({
			name: 'vera',
			role: 'viewer',
			password: 'viewer password 12'
		});
		expect(
			(await admin.caller.users.list()).map((u) => [u.name, u.role, u.managedByConfig])
		).toEqual([
			['admin', 'admin', true],
			['olga', 'operator', false],
			['vera', 'viewer', false]
		]);
		const olga = await as('olga', 'operator password 1');
		expect(
			await services.auth.authenticate({ authorization: null, sessionId: olga.sessionId })
		).toEqual({ role: 'operator', via: 'session', userId: 2, userName: 'olga' });
		await expect(olga.caller.users.list()).rejects.toMatchObject({ code: 'FORBIDDEN' });
		await expect(
			admin.caller.users.create({ name: 'olga', role: 'viewer', password: 'another password' })
		).rejects.toMatchObject({ code: 'CONFLICT' });
		await expect(
			admin.caller.users.create({ name: '../etc', role: 'viewer', password: 'another password' })
		).rejects.toMatchObject({ code: 'BAD_REQUEST' });
		await expect(
			admin.caller.users.create({ name: 'x', role: 'root' as never, password: 'another password' })
		).rejects.toMatchObject({ code: 'BAD_REQUEST' });
	});

	it('a viewer calling any state change gets FORBIDDEN and leaves a denied audit row', async () => {
		const admin = await as('admin', ADMIN_PASSWORD);
		await admin.caller.users.create({
			name: 'vera',
			role: 'viewer',
			password: 'viewer password 12'
		});
		const vera = await as('vera', 'viewer password 12');
		// Every mutation except the self-service ones (own session, own password, login, setup).
		const selfService = new Set([
			'auth.login',
			'auth.setup',
			'auth.logout',
			'auth.logoutEverywhere',
			'auth.changePassword',
			'hosts.setPreferred'
		]);
		// no public tRPC 11 API lists or looks up a router's procedures: _def.procedures (typed in the exported TRPCRouterDef)
		const procedures = appRouter._def.procedures as unknown as Record<
			string,
			{ _def: { type: string } }
		>;
		const mutations = Object.keys(procedures).filter(
			(p) => procedures[p]._def.type === 'mutation' && !selfService.has(p)
		);
		expect(mutations).toContain('users.create');
		for (const name of mutations) {
			const fn = name
				.split('.')
				.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], vera.caller) as (
				input: unknown
			) => Promise<unknown>;
			await expect(fn({}), name).rejects.toMatchObject({ code: 'FORBIDDEN' });
		}
		const denied = await services.db.select().from(actions).where(eq(actions.outcome, 'denied'));
		expect(denied.map((r) => r.action).sort()).toEqual([...mutations].sort());
		expect(
			denied.every((r) => r.actor === 'session:viewer:vera' && r.address === 'spec-vera')
		).toBe(true);
	});

	it('a role change applies to open sessions at once; a removed user or a reset password ends them', async () => {
		const admin = await as('admin', ADMIN_PASSWORD);
		await admin.caller.users.create({
			name: 'olga',
			role: 'operator',
			password: 'operator password 1'
		});
		await admin.caller.users.create({
			name: 'vera',
			role: 'viewer',
			password: 'viewer password 12'
		});
		const olga = await as('olga', 'operator password 1');
		const vera = await as('vera', 'viewer password 12');
		const olgaId = (await admin.caller.users.list()).find((u) => u.name === 'olga')!.id;
		const veraId = (await admin.caller.users.list()).find((u) => u.name === 'vera')!.id;

		await admin.caller.users.update({ id: olgaId, role: 'viewer' });
		expect(
			await services.auth.authenticate({ authorization: null, sessionId: olga.sessionId })
		).toMatchObject({ role: 'viewer' });
		await admin.caller.users.update({ id: olgaId, password: 'reset password 123' });
		expect(
			await services.auth.authenticate({ authorization: null, sessionId: olga.sessionId })
		).toBeNull();
		await admin.caller.users.remove({ id: veraId });
		expect(
			await services.auth.authenticate({ authorization: null, sessionId: vera.sessionId })
		).toBeNull();
		expect(
			(await services.auth.login({ name: 'vera', password: 'viewer password 12', clientKey: 'z' }))
				.ok
		).toBe(false);
		// The audit record has each change, never a password.
		const rows = await services.db.select().from(actions);
		expect(rows.map((r) => [r.action, r.outcome])).toEqual([
			['users.create', 'ok'],
			['users.create', 'ok'],
			['users.update', 'ok'],
			['users.update', 'ok'],
			['users.remove', 'ok']
		]);
		expect(JSON.stringify(rows)).not.toMatch(/password 1|password 12|reset password/);
	});

	it('the last admin can be neither removed nor demoted; the configured admin password is changed only in the config', async () => {
		const admin = await as('admin', ADMIN_PASSWORD);
		await expect(admin.caller.users.remove({ id: 1 })).rejects.toMatchObject({
			code: 'BAD_REQUEST',
			message: /last admin/
		});
		await expect(admin.caller.users.update({ id: 1, role: 'operator' })).rejects.toMatchObject({
			code: 'BAD_REQUEST',
			message: /last admin/
		});
		await expect(
			admin.caller.users.update({ id: 1, password: 'a new password 12' })
		).rejects.toMatchObject({ message: /VMW_ADMIN_PASSWORD/ });
	});

	it('the API token is a viewer: reads, but no user administration', async () => {
		const token = harness.callerAs({ role: 'viewer', via: 'token' });
		await expect(token.users.list()).rejects.toMatchObject({ code: 'FORBIDDEN' });
		await expect(call().users.list()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
	});
});

describe('migration of the single admin password', { timeout: SCRYPT_TEST_TIMEOUT_MS }, () => {
	it('an install with the old admin_password_hash gets the user "admin" with that password', async () => {
		const dir = await mkdtemp(path.join(tmpdir(), 'vmw-migrate-'));
		try {
			const url = `file:${path.join(dir, 'test.db')}`;
			const db = await openDb({ url, migrationsDir: 'drizzle' });
			await db.insert(settings).values({
				key: 'admin_password_hash',
				value: await hashPassword('the old admin password'),
				updatedAt: 1
			});
			db.$client.close();
			const { services, stop } = await createTestServices({ dir });
			try {
				expect(await services.auth.state()).toBe('ready');
				expect(services.auth.listUsers().map((u) => [u.name, u.role])).toEqual([
					['admin', 'admin']
				]);
				expect(
					(await services.auth.login({ password: 'the old admin password', clientKey: 'm' })).ok
				).toBe(true);
				expect(
					await services.db.select().from(settings).where(eq(settings.key, 'admin_password_hash'))
				).toEqual([]);
			} finally {
				await stop();
			}
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});
});
