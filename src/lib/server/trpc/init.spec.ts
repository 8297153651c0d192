// The role builders every router declares its procedures with.
import { describe, expect, it } from 'vitest';
import { createCallerFactory, operatorProcedure, publicProcedure, router, viewerProcedure } from './init';
import type { Context } from './init';
import type { Principal } from '../auth/auth';

const probe = router({
	open: publicProcedure.query(() => 'open'),
	read: viewerProcedure.query(() => 'read'),
	act: operatorProcedure.mutation(() => 'acted')
});

const callAs = (principal: Principal | null) =>
	createCallerFactory(probe)({ principal, services: {} as Context['services'], sessionId: undefined, resHeaders: null, clientKey: 't', secure: false });

describe('procedure builders', () => {
	it.each([
		['nobody', null, { open: 'open', read: 'UNAUTHORIZED', act: 'UNAUTHORIZED' }],
		['API token (viewer)', { role: 'viewer', via: 'token' }, { open: 'open', read: 'read', act: 'FORBIDDEN' }],
		['operator session', { role: 'operator', via: 'session' }, { open: 'open', read: 'read', act: 'acted' }],
		['admin session', { role: 'admin', via: 'session' }, { open: 'open', read: 'read', act: 'acted' }]
	] as const)('%s', async (_name, principal, expected) => {
		const caller = callAs(principal);
		const outcome = (p: Promise<string>) => p.catch((e: { code: string }) => e.code);
		expect({ open: await outcome(caller.open()), read: await outcome(caller.read()), act: await outcome(caller.act()) }).toEqual(expected);
	});
});
