// hub.all (issue 15 item 2): which procedures and inputs it takes (through the real app router,
// with stub services: every refusal happens before any host is called), and the fan-out's
// per-host timeout and last-good LRU (hub/all.ts runAll, with hand-made targets).
import { describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import {
	createCallerFactory,
	hostOperatorProcedure,
	hostViewerProcedure,
	isPerHost,
	router,
	viewerProcedure,
	type Context
} from '../trpc/init';
import { createInnerContext } from '../trpc/context';
import { appRouter } from '../trpc/router';
import {
	builtOn,
	checkProcedure,
	createLastGood,
	lastGoodKey,
	reasonFor,
	runAll,
	ALL_INPUT_MAX_BYTES,
	type AllTarget
} from './all';

function hubCaller() {
	const called: string[] = [];
	const hub = {
		hosts: async () => {
			called.push('hosts');
			return [];
		},
		lastGood: createLastGood(),
		local: { id: 'hub', name: 'hub' },
		localTimeoutMs: 1_000,
		forward: async () => undefined,
		host: async () => null
	};
	const services = { config: { hostId: 'hub' }, hub } as unknown as Context['services'];
	const caller = createCallerFactory(appRouter)(
		createInnerContext({ principal: { role: 'viewer', via: 'session', userName: 'v' }, services })
	);
	return { caller, called };
}

describe('hub.all: what it runs', () => {
	const refused = async (procedure: string, input: unknown, message: RegExp) => {
		const { caller, called } = hubCaller();
		const err = await caller.hub.all({ procedure, input }).then(
			() => null,
			(e: unknown) => e
		);
		expect(err).toBeInstanceOf(TRPCError);
		expect((err as TRPCError).code).toBe('BAD_REQUEST');
		expect((err as TRPCError).message).toMatch(message);
		// refused before any host was looked up or called
		expect(called).toEqual([]);
	};

	it('refuses a mutation, a subscription, an unknown path and the hub’s own areas, saying why', async () => {
		await refused('containers.restart', { id: 'web' }, /containers\.restart: it is a mutation/);
		await refused('health.sampleNow', undefined, /it is a mutation/);
		await refused('containers.live', undefined, /containers\.live: it is a subscription/);
		await refused(
			'containers.nothingHere',
			undefined,
			/there is no procedure containers\.nothingHere/
		);
		// an inherited Object property is no procedure either
		await refused('health.constructor', undefined, /there is no procedure/);
		await refused('users.list', undefined, /users\.list: the users procedures are the hub's own/);
		await refused('tokens.list', undefined, /the tokens procedures are the hub's own/);
		await refused('hosts.list', undefined, /the hosts procedures are the hub's own/);
		await refused('hub.all', undefined, /the hub procedures are the hub's own/);
	});

	it('refuses a malformed path in the input check', async () => {
		const { caller } = hubCaller();
		await expect(caller.hub.all({ procedure: '../etc/passwd' })).rejects.toMatchObject({
			code: 'BAD_REQUEST'
		});
		await expect(
			caller.hub.all({ procedure: 'health.snapshot', extra: 1 } as never)
		).rejects.toMatchObject({ code: 'BAD_REQUEST' });
	});

	it('refuses an oversize input, a hostId in it, a non-object, and an input the procedure itself refuses, once', async () => {
		// 'x' * limit as a field: superjson text is {"json":{"stack":"xxx…"}} — over the limit by the wrapper alone
		await refused(
			'containers.list',
			{ stack: 'x'.repeat(ALL_INPUT_MAX_BYTES) },
			new RegExp(`the input is \\d+ bytes; at most ${ALL_INPUT_MAX_BYTES}`)
		);
		await refused('containers.list', { hostId: 'vm2' }, /leave hostId out/);
		await refused('containers.list', 'all', /input must be an object/);
		await refused('containers.list', [1], /input must be an object/);
		// the procedure's own zod check: the filter enum and the strict object
		await refused('containers.list', { filter: 'bogus' }, /^containers\.list: filter: /);
		await refused('containers.list', { nope: 1 }, /^containers\.list: .*nope/);
	});

	it('takes only per-host viewer queries: an operator query or one about no host is refused (builtOn, isPerHost)', () => {
		const probe = router({
			read: hostViewerProcedure.query(() => 1),
			op: hostOperatorProcedure.query(() => 3),
			hubs: viewerProcedure.query(() => 4)
		});
		// no public tRPC 11 API lists or looks up a router's procedures: _def.procedures (typed in the exported TRPCRouterDef)
		const procs = probe._def.procedures as Record<string, unknown>;
		const checks = {
			isPerHost: (p: Parameters<typeof isPerHost>[0]) => isPerHost(p) !== null,
			isViewer: builtOn(viewerProcedure)
		};
		expect(checkProcedure(procs, 'read', checks)).toBe(procs.read);
		expect(() => checkProcedure(procs, 'op', checks)).toThrow(/op: it is not a viewer query/);
		expect(() => checkProcedure(procs, 'hubs', checks)).toThrow(
			/hubs: the hubs procedures are the hub's own, not per host/
		);
		// the app router's real viewer queries pass, the hub-local trends too
		const app = appRouter._def.procedures as Record<string, unknown>;
		for (const p of [
			'health.snapshot',
			'containers.list',
			'containers.unhealthy',
			'score.current',
			'trends.series',
			'hub.summary'
		])
			expect(() => checkProcedure(app, p, checks)).not.toThrow();
	});
});

describe('runAll: per-host timeout and last good answers', () => {
	const target = (hostId: string, timeoutMs: number, call: AllTarget['call']): AllTarget => ({
		hostId,
		name: `${hostId}-name`,
		kind: hostId === 'hub' ? 'local' : 'vmwarden',
		timeoutMs,
		call
	});
	const never = (signal: AbortSignal) =>
		new Promise<never>((_, reject) =>
			signal.addEventListener('abort', () => reject(new Error('aborted')))
		);

	it('answers in order, a slow host unavailable at its timeout without delaying the others, then with its last good answer', async () => {
		const lastGood = createLastGood(10);
		let clock = 1_000;
		const keyOf = (id: string) => lastGoodKey(id, 'viewer', 'health.snapshot', 'null');
		// round 1: both answer
		const first = await runAll(
			[target('hub', 1_000, async () => 'hub-1'), target('vm2', 50, async () => 'vm2-1')],
			{ keyOf, lastGood, now: () => clock }
		);
		expect(first.entries).toEqual([
			{ hostId: 'hub', name: 'hub-name', kind: 'local', state: 'ok', data: 'hub-1', at: 1_000 },
			{ hostId: 'vm2', name: 'vm2-name', kind: 'vmwarden', state: 'ok', data: 'vm2-1', at: 1_000 }
		]);
		// round 2: vm2 hangs; its signal is aborted at 50 ms and the whole call ends well before the hang would
		clock = 2_000;
		let aborted = false;
		const t0 = performance.now();
		const second = await runAll(
			[
				target('hub', 1_000, async () => 'hub-2'),
				target('vm2', 50, (s) => {
					s.addEventListener('abort', () => (aborted = true));
					return new Promise(() => {}); // never settles, ignores the signal
				})
			],
			{ keyOf, lastGood, now: () => clock }
		);
		const took = performance.now() - t0;
		expect(took).toBeLessThan(1_000);
		expect(aborted).toBe(true);
		expect(second.entries[0]).toEqual({
			hostId: 'hub',
			name: 'hub-name',
			kind: 'local',
			state: 'ok',
			data: 'hub-2',
			at: 2_000
		});
		expect(second.entries[1]).toEqual({
			hostId: 'vm2',
			name: 'vm2-name',
			kind: 'vmwarden',
			state: 'unavailable',
			reason: 'vm2-name did not answer within 50 ms',
			lastGood: 'vm2-1',
			lastGoodAt: 1_000,
			at: 2_000
		});
		expect(second.errors.has('vm2')).toBe(true);
		// a TRPCError's message is the reason as is; a host never seen has no last good answer
		const third = await runAll(
			[
				target('vm3', 50, async () =>
					Promise.reject(
						new TRPCError({
							code: 'PRECONDITION_FAILED',
							message: 'vm3 is a bare Docker host: no health there'
						})
					)
				),
				target('vm4', 20, never)
			],
			{ keyOf, lastGood, now: () => clock }
		);
		expect(
			third.entries.map((e) =>
				e.state === 'unavailable' ? [e.reason, e.lastGood, e.lastGoodAt] : e.state
			)
		).toEqual([
			['vm3 is a bare Docker host: no health there', null, null],
			['vm4-name did not answer within 20 ms', null, null]
		]);
	});

	it('keys by host, role, procedure and input; keeps the most recently used within its bound', () => {
		const lg = createLastGood(3);
		lg.set(lastGoodKey('a', 'viewer', 'p', '1'), 'a1', 1);
		lg.set(lastGoodKey('b', 'viewer', 'p', '1'), 'b1', 2);
		lg.set(lastGoodKey('c', 'viewer', 'p', '1'), 'c1', 3);
		// reading a makes b the oldest-used
		expect(lg.get(lastGoodKey('a', 'viewer', 'p', '1'))).toEqual({ data: 'a1', at: 1 });
		lg.set(lastGoodKey('d', 'viewer', 'p', '1'), 'd1', 4);
		expect(lg.size).toBe(3);
		expect(lg.get(lastGoodKey('b', 'viewer', 'p', '1'))).toBeUndefined();
		expect(lg.get(lastGoodKey('a', 'viewer', 'p', '2'))).toBeUndefined();
		expect(lg.get(lastGoodKey('a', 'admin', 'p', '1'))).toBeUndefined();
		// a host leaving the registry takes its answers along (and only its own: 'a' is no prefix of 'ab')
		lg.set(lastGoodKey('ab', 'viewer', 'p', '1'), 'ab1', 5);
		lg.forgetHost('a');
		expect(lg.get(lastGoodKey('a', 'viewer', 'p', '1'))).toBeUndefined();
		expect(lg.get(lastGoodKey('ab', 'viewer', 'p', '1'))).toEqual({ data: 'ab1', at: 5 });
	});
});

describe('reasonFor', () => {
	it('shows our own errors, hides an unexpected one as the HTTP endpoint does', () => {
		expect(
			reasonFor(
				new TRPCError({ code: 'GATEWAY_TIMEOUT', message: 'VM two did not answer within 5000 ms' })
			)
		).toBe('VM two did not answer within 5000 ms');
		// what tRPC makes of a thrown plain error: INTERNAL_SERVER_ERROR with the cause's message (may hold SQL)
		const sql = new Error('SQLITE_ERROR: no such table: secrets_x');
		expect(
			reasonFor(new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: sql.message, cause: sql }))
		).toBe('Internal error; see the server log.');
		expect(
			reasonFor(
				new TRPCError({
					code: 'INTERNAL_SERVER_ERROR',
					message: 'could not build the summary',
					cause: sql
				})
			)
		).toBe('could not build the summary');
		expect(reasonFor(sql)).toBe('Internal error; see the server log.');
	});
});
