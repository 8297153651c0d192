// Which procedures the forwarding middleware (trpc/init.ts) sends to a registry host: viewer and
// operator ones named with a registry host's id, never admin, public or meta hub:'local' ones.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { adminProcedure, createCallerFactory, operatorProcedure, publicProcedure, router, viewerProcedure, type Context } from '../trpc/init';
import { createInnerContext } from '../trpc/context';
import { hostInput, resolveHostId } from '../trpc/host';

const input = hostInput.extend({ x: z.number().optional() }).strict().optional();
const here = (name: string) => ({ ctx, input: i }: { ctx: Context; input?: { hostId?: string } }) => `${name} here for ${resolveHostId(ctx, i?.hostId)}`;
const probe = router({
	open: publicProcedure.input(input).query(here('open')),
	read: viewerProcedure.input(input).query(here('read')),
	act: operatorProcedure.input(input).mutation(here('act')),
	administer: adminProcedure.input(input).mutation(here('administer')),
	mine: viewerProcedure.meta({ hub: 'local' }).input(input).query(here('mine'))
});

function setup() {
	const forwarded: { path: string; type: string; raw: unknown }[] = [];
	const registered = new Set(['vm2']);
	const hub = {
		async forward(call: { path: string; type: string; hostId: string; raw: unknown }) {
			if (!registered.has(call.hostId)) return undefined;
			forwarded.push({ path: call.path, type: call.type, raw: call.raw });
			return { data: `answered by ${call.hostId}` };
		},
		host: async (id: string) => (registered.has(id) ? { id } : null),
		isRegistered: (id: string) => registered.has(id)
	};
	const services = { config: { hostId: 'hub' }, hub } as unknown as Context['services'];
	const caller = createCallerFactory(probe)(createInnerContext({ principal: { role: 'admin', via: 'session', userName: 'root' }, services }));
	return { caller, forwarded };
}

describe('forwarding middleware', () => {
	it('forwards viewer and operator calls named with a registry host, with their path, type and raw input', async () => {
		const { caller, forwarded } = setup();
		expect(await caller.read({ hostId: 'vm2', x: 1 })).toBe('answered by vm2');
		expect(await caller.act({ hostId: 'vm2' })).toBe('answered by vm2');
		expect(forwarded).toEqual([
			{ path: 'read', type: 'query', raw: { hostId: 'vm2', x: 1 } },
			{ path: 'act', type: 'mutation', raw: { hostId: 'vm2' } }
		]);
	});

	it('never forwards admin, public or hub-local procedures; runs here without or with the own id', async () => {
		const { caller, forwarded } = setup();
		expect(await caller.read()).toBe('read here for hub');
		expect(await caller.read({ hostId: 'hub' })).toBe('read here for hub');
		// admin and public: not forwarded; the host is not this one, so resolveHostId decides (here: a registry host passes)
		expect(await caller.administer({ hostId: 'vm2' })).toBe('administer here for vm2');
		expect(await caller.open({ hostId: 'vm2' })).toBe('open here for vm2');
		// hub-local: answered here for the registry host
		expect(await caller.mine({ hostId: 'vm2' })).toBe('mine here for vm2');
		expect(forwarded).toEqual([]);
	});

	it('an unknown host stays NOT_FOUND', async () => {
		const { caller } = setup();
		await expect(caller.read({ hostId: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
		await expect(caller.act({ hostId: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
	});
});
