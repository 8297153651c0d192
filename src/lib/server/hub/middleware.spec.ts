// The per-host builders' middlewares (trpc/init.ts resolveCallHost, then runOrForward or answerHere): the call's hostId resolved once into
// ctx.host; a vmwarden registry host's call forwarded, a bare Docker host's run here against its
// own Docker (meta dockerHost) or refused; procedures about no host and hub-local ones never forwarded.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
	adminProcedure,
	createCallerFactory,
	hostOperatorProcedure,
	hostViewerProcedure,
	hubLocalHostViewerProcedure,
	publicProcedure,
	router,
	viewerProcedure,
	type Context
} from '../trpc/init';
import { createInnerContext } from '../trpc/context';
import { hostInput } from '../trpc/host';
import type { HostRecord } from '../hosts/types';

const input = hostInput.extend({ x: z.number().optional() }).strict().optional();
const here =
	(name: string) =>
	({ ctx }: { ctx: { host: { kind: string; id: string } } }) =>
		`${name} here for ${ctx.host.kind} ${ctx.host.id}`;
const noHost = (name: string) => () => `${name} here`;
const probe = router({
	open: publicProcedure.input(input).query(noHost('open')),
	hubView: viewerProcedure.input(input).query(noHost('hubView')),
	administer: adminProcedure.input(input).mutation(noHost('administer')),
	read: hostViewerProcedure.input(input).query(here('read')),
	act: hostOperatorProcedure.input(input).mutation(here('act')),
	containers: hostViewerProcedure
		.meta({ dockerHost: true })
		.input(input)
		.query(
			({ ctx }) =>
				`${ctx.host.kind} ${ctx.host.id}: ${ctx.host.containers.docker.find('web')?.name ?? 'none'}`
		),
	mine: hubLocalHostViewerProcedure.input(input).query(here('mine'))
});

function setup() {
	const forwarded: { host: string; path: string; type: string; input: unknown }[] = [];
	const records: Record<string, Pick<HostRecord, 'id' | 'name' | 'kind'>> = {
		vm2: { id: 'vm2', name: 'VM two', kind: 'vmwarden' },
		dock: { id: 'dock', name: 'Dock', kind: 'docker' }
	};
	const hub = {
		async forward(host: HostRecord, call: { path: string; type: string; input: unknown }) {
			forwarded.push({ host: host.id, path: call.path, type: call.type, input: call.input });
			return `answered by ${host.id}`;
		},
		host: async (id: string) => records[id] ?? null,
		docker: {
			containers: async (host: HostRecord) => ({
				docker: { find: (ref: string) => ({ name: `${ref} on ${host.id}` }) }
			})
		}
	};
	const services = {
		config: { hostId: 'hub' },
		hub,
		docker: { find: (ref: string) => ({ name: `${ref} on the hub` }) }
	} as unknown as Context['services'];
	const caller = createCallerFactory(probe)(
		createInnerContext({ principal: { role: 'admin', via: 'session', userName: 'root' }, services })
	);
	return { caller, forwarded };
}

describe('per-host middleware', () => {
	it('forwards per-host calls named with a vmwarden registry host: path, type and input without hostId', async () => {
		const { caller, forwarded } = setup();
		expect(await caller.read({ hostId: 'vm2', x: 1 })).toBe('answered by vm2');
		expect(await caller.act({ hostId: 'vm2' })).toBe('answered by vm2');
		expect(forwarded).toEqual([
			{ host: 'vm2', path: 'read', type: 'query', input: { x: 1 } },
			{ host: 'vm2', path: 'act', type: 'mutation', input: {} }
		]);
	});

	it('runs here for this instance, without or with its own id', async () => {
		const { caller, forwarded } = setup();
		expect(await caller.read()).toBe('read here for local hub');
		expect(await caller.read({ hostId: 'hub' })).toBe('read here for local hub');
		expect(await caller.containers()).toBe('local hub: web on the hub');
		expect(forwarded).toEqual([]);
	});

	it('never forwards procedures about no host, nor hub-local ones (answered here for the registry host)', async () => {
		const { caller, forwarded } = setup();
		expect(await caller.hubView({ hostId: 'vm2' })).toBe('hubView here');
		expect(await caller.administer({ hostId: 'vm2' })).toBe('administer here');
		expect(await caller.open({ hostId: 'vm2' })).toBe('open here');
		expect(await caller.mine({ hostId: 'vm2' })).toBe('mine here for vmwarden vm2');
		expect(await caller.mine({ hostId: 'dock' })).toBe('mine here for docker dock');
		expect(forwarded).toEqual([]);
	});

	it('a bare Docker host runs a dockerHost procedure against its own Docker and refuses the others', async () => {
		const { caller, forwarded } = setup();
		expect(await caller.containers({ hostId: 'dock' })).toBe('docker dock: web on dock');
		await expect(caller.read({ hostId: 'dock' })).rejects.toMatchObject({
			code: 'PRECONDITION_FAILED',
			message:
				'Dock is a bare Docker host: no read there (only containers, logs, restarts and host figures)'
		});
		expect(forwarded).toEqual([]);
	});

	it('an unknown host is NOT_FOUND (hub-local too); a malformed id is BAD_REQUEST, never looked up', async () => {
		const { caller } = setup();
		await expect(caller.read({ hostId: 'nope' })).rejects.toMatchObject({
			code: 'NOT_FOUND',
			message: 'unknown host "nope": this instance serves "hub"'
		});
		await expect(caller.act({ hostId: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
		await expect(caller.mine({ hostId: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
		await expect(caller.read({ hostId: '../x' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
	});
});
