// Part 4 of issue 16: a walk over appRouter, so a later router cannot forget its role. Every
// mutation outside the fixed self-service list needs the operator or admin role: the read-only
// API token and a viewer get FORBIDDEN, nobody gets UNAUTHORIZED — before the input is even read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { adminProcedure, operatorProcedure, publicProcedure, viewerProcedure } from './init';
import { builtOn } from '../hub/all';
import type { AnyProcedure } from '@trpc/server';
import { appRouter } from './router';
import type { Principal } from '../auth/auth';
import { createTestServices, type TestServices } from '../../../../tests/helpers/services';

/** Mutations anyone (login, setup) or any logged-in session (own session/password) may call. */
const SELF_SERVICE = [
	'auth.changePassword',
	'auth.login',
	'auth.logout',
	'auth.logoutEverywhere',
	'auth.setup',
	'hosts.setPreferred'
];

// no public tRPC 11 API lists or looks up a router's procedures: _def.procedures (typed in the exported TRPCRouterDef)
const procedures = appRouter._def.procedures as unknown as Record<
	string,
	{ _def: { type: string } }
>;
const mutations = Object.keys(procedures)
	.filter((p) => procedures[p]._def.type === 'mutation')
	.sort();
const guarded = mutations.filter((p) => !SELF_SERVICE.includes(p));

describe('appRouter walk', () => {
	let t: TestServices;
	beforeAll(async () => {
		t = await createTestServices();
	});
	afterAll(async () => {
		await t?.stop();
	});

	const callAs = (principal: Principal | null, name: string) => {
		const caller = t.callerAs(principal, { clientKey: 'walk' });
		const fn = name
			.split('.')
			.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller) as (
			input: unknown
		) => Promise<unknown>;
		return fn({}).then(
			() => 'ran',
			(e: { code?: string }) => e.code ?? 'threw'
		);
	};

	it('the self-service list is exactly the auth mutations (a new public mutation must be added here on purpose)', () => {
		expect(mutations.filter((p) => p.startsWith('auth.') || p === 'hosts.setPreferred')).toEqual(
			SELF_SERVICE
		);
		expect(mutations.length).toBeGreaterThan(SELF_SERVICE.length);
	});

	it.each([
		['nobody', null, 'UNAUTHORIZED'],
		['the read-only API token', { role: 'viewer', via: 'token' }, 'FORBIDDEN'],
		['a viewer session', { role: 'viewer', via: 'session', userId: 99, userName: 'v' }, 'FORBIDDEN']
	] as const)('%s cannot call any other mutation', async (_who, principal, code) => {
		const outcomes = Object.fromEntries(
			await Promise.all(guarded.map(async (p) => [p, await callAs(principal, p)] as const))
		);
		expect(outcomes).toEqual(Object.fromEntries(guarded.map((p) => [p, code])));
	});
});

/**
 * The whole role matrix (issue 21, Keep): every procedure of appRouter — queries, mutations and
 * subscriptions, generated from the router so a new one cannot be missed — called by every kind
 * of principal. Each must be refused (UNAUTHORIZED / FORBIDDEN) exactly when the principal's role
 * is below the procedure's builder, and pass the role check otherwise (it then reaches input
 * validation: the probe input, a Symbol, is refused by every schema, so nothing runs).
 */
describe('role matrix over every procedure', () => {
	type Level = 'public' | 'viewer' | 'operator' | 'admin';
	/** Procedures anyone may call: adding one here is a decision, not an accident. */
	const PUBLIC = ['auth.login', 'auth.me', 'auth.setup'];
	/** Procedures only an admin may call. */
	const ADMIN = [
		'hosts.add',
		'hosts.list',
		'hosts.remove',
		'hosts.test',
		'hosts.update',
		'tokens.create',
		'tokens.list',
		'tokens.revoke',
		'users.create',
		'users.list',
		'users.remove',
		'users.update'
	];

	const all = appRouter._def.procedures as unknown as Record<string, AnyProcedure>;
	const names = Object.keys(all).sort();
	const isAdmin = builtOn(adminProcedure);
	const isOperator = builtOn(operatorProcedure);
	const isViewer = builtOn(viewerProcedure);
	const isPublic = builtOn(publicProcedure);
	const levelOf = (name: string): Level | 'unknown' => {
		const p = all[name];
		if (isAdmin(p)) return 'admin';
		if (isOperator(p)) return 'operator';
		if (isViewer(p)) return 'viewer';
		// the role middleware is not exported: a procedure on publicProcedure and no other builder has none
		return isPublic(p) ? 'public' : 'unknown';
	};

	it('every procedure is built on one of the four role builders; the public and admin ones are exactly the lists', () => {
		const levels = Object.fromEntries(names.map((n) => [n, levelOf(n)]));
		expect(names.filter((n) => levels[n] === 'unknown')).toEqual([]);
		expect(names.filter((n) => levels[n] === 'public')).toEqual(PUBLIC);
		expect(names.filter((n) => levels[n] === 'admin')).toEqual(ADMIN);
		// a state change needs the operator role unless it is the caller's own (the self-service list above)
		const mutationsBelowOperator = names.filter(
			(n) => all[n]._def.type === 'mutation' && (levels[n] === 'viewer' || levels[n] === 'public')
		);
		expect(mutationsBelowOperator).toEqual(SELF_SERVICE);
		expect(names.length).toBeGreaterThan(60);
	});

	let t: TestServices;
	beforeAll(async () => {
		t = await createTestServices({
			env: (dir) => ({ VMW_DOCKER_HOST: `unix://${path.join(dir, 'no-docker.sock')}` })
		});
	});
	afterAll(async () => {
		await t?.stop();
	});

	const rank: Record<Level, number> = { public: 0, viewer: 1, operator: 2, admin: 3 };
	const PROBE = Symbol('role-matrix probe');
	// distinct ids: the mutation rate limit is per principal, and the walk above used its own
	const principals: [string, Principal | null, Level][] = [
		['nobody', null, 'public'],
		['a read token', { role: 'viewer', via: 'token', tokenId: 9101 }, 'viewer'],
		[
			'a viewer session',
			{ role: 'viewer', via: 'session', userId: 9102, userName: 'matrix-viewer' },
			'viewer'
		],
		[
			'a viewer by proxy login',
			{ role: 'viewer', via: 'proxy', userName: 'proxy:matrix' },
			'viewer'
		],
		['an operate token', { role: 'operator', via: 'token', tokenId: 9103 }, 'operator'],
		['a hub token', { role: 'operator', via: 'token', tokenId: 9104, hub: true }, 'operator'],
		[
			'an operator session',
			{ role: 'operator', via: 'session', userId: 9105, userName: 'matrix-operator' },
			'operator'
		],
		[
			'an admin session',
			{ role: 'admin', via: 'session', userId: 9106, userName: 'matrix-admin' },
			'admin'
		]
	];

	it.each(principals)(
		"%s: refused exactly below each procedure's role",
		async (_who, principal, level) => {
			const caller = t.callerAs(principal, { clientKey: 'matrix' });
			const outcomes: Record<string, string> = {};
			for (const name of names) {
				const fn = name
					.split('.')
					.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller) as (
					input: unknown
				) => Promise<unknown>;
				outcomes[name] = await fn(PROBE).then(
					() => 'passed',
					(e: { code?: string }) =>
						e.code === 'UNAUTHORIZED' || e.code === 'FORBIDDEN' ? e.code : 'passed'
				);
			}
			const expected = Object.fromEntries(
				names.map((n) => {
					const need = levelOf(n) as Level;
					return [
						n,
						rank[level] >= rank[need] ? 'passed' : principal === null ? 'UNAUTHORIZED' : 'FORBIDDEN'
					];
				})
			);
			expect(outcomes).toEqual(expected);
		}
	);
});
