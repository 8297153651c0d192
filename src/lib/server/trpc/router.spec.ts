// Part 4 of issue 16: a walk over appRouter, so a later router cannot forget its role. Every
// mutation outside the fixed self-service list needs the operator or admin role: the read-only
// API token and a viewer get FORBIDDEN, nobody gets UNAUTHORIZED — before the input is even read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '../config';
import { createServices, type Services } from '../services';
import { createCallerFactory } from './init';
import { createInnerContext } from './context';
import { appRouter } from './router';
import type { Principal } from '../auth/auth';

/** Mutations anyone (login, setup) or any logged-in session (own session/password) may call. */
const SELF_SERVICE = ['auth.changePassword', 'auth.login', 'auth.logout', 'auth.logoutEverywhere', 'auth.setup', 'hosts.setPreferred'];

const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>;
const mutations = Object.keys(procedures).filter((p) => procedures[p]._def.type === 'mutation').sort();
const guarded = mutations.filter((p) => !SELF_SERVICE.includes(p));

describe('appRouter walk', () => {
	let dir: string;
	let services: Services;
	beforeAll(async () => {
		dir = await mkdtemp(path.join(tmpdir(), 'vmw-walk-'));
		services = await createServices(parseConfig({ VMW_DATABASE_URL: `file:${path.join(dir, 'db')}`, VMW_DATA_DIR: dir, VMW_API_TOKEN: 'x'.repeat(32), VMW_LOG_LEVEL: 'error' }), { startSampler: false });
	});
	afterAll(async () => {
		await services?.stop();
		await rm(dir, { recursive: true, force: true });
	});

	const callAs = (principal: Principal | null, name: string) => {
		const caller = createCallerFactory(appRouter)(createInnerContext({ services, principal, clientKey: 'walk' }));
		const fn = name.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller) as (input: unknown) => Promise<unknown>;
		return fn({}).then(
			() => 'ran',
			(e: { code?: string }) => e.code ?? 'threw'
		);
	};

	it('the self-service list is exactly the auth mutations (a new public mutation must be added here on purpose)', () => {
		expect(mutations.filter((p) => p.startsWith('auth.') || p === 'hosts.setPreferred')).toEqual(SELF_SERVICE);
		expect(mutations.length).toBeGreaterThan(SELF_SERVICE.length);
	});

	it.each([
		['nobody', null, 'UNAUTHORIZED'],
		['the read-only API token', { role: 'viewer', via: 'token' }, 'FORBIDDEN'],
		['a viewer session', { role: 'viewer', via: 'session', userId: 99, userName: 'v' }, 'FORBIDDEN']
	] as const)('%s cannot call any other mutation', async (_who, principal, code) => {
		const outcomes = Object.fromEntries(await Promise.all(guarded.map(async (p) => [p, await callAs(principal, p)] as const)));
		expect(outcomes).toEqual(Object.fromEntries(guarded.map((p) => [p, code])));
	});
});
