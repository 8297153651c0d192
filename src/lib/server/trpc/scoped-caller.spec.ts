// The scoped caller against a real tRPC router (strict zod inputs, createCaller): the host
// reaches host-scoped procedures only, and the local host sends what it sent before.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCallerFactory, publicProcedure, router } from './init';
import { hostInput } from './host';
import { createInnerContext } from './context';
import type { Services } from '../services';
import { scopeCaller } from './scoped-caller';

const testRouter = router({
	containers: router({
		list: publicProcedure
			.input(hostInput.optional())
			.query(({ input }) => ({ hostId: input?.hostId ?? null })),
		restart: publicProcedure
			.input(hostInput.extend({ id: z.string() }).strict())
			.mutation(({ input }) => input)
	}),
	health: router({
		// like health.sampleNow today: a strict input without hostId
		sampleNow: publicProcedure.input(z.object({}).strict().optional()).mutation(() => 'sampled')
	}),
	users: router({
		update: publicProcedure
			.input(z.object({ id: z.number() }).strict())
			.mutation(({ input }) => input.id)
	})
});
const base = () =>
	createCallerFactory(testRouter)(
		createInnerContext({ services: {} as Services, principal: null })
	);

describe('scopeCaller', () => {
	it('adds the chosen host to every host-scoped call, asked lazily', async () => {
		let asked = 0;
		const caller = scopeCaller(base(), async () => (asked++, 'vm2'));
		expect(await caller.containers.list()).toEqual({ hostId: 'vm2' });
		expect(await caller.containers.restart({ id: 'abc' })).toEqual({ id: 'abc', hostId: 'vm2' });
		expect(asked).toBe(2);
	});

	it('leaves procedures that are not about one host alone (a strict input without hostId still passes)', async () => {
		const caller = scopeCaller(base(), () => 'vm2');
		expect(await caller.users.update({ id: 7 })).toBe(7);
	});

	it('the local host (null) sends the input unchanged', async () => {
		const caller = scopeCaller(base(), () => null);
		expect(await caller.containers.list()).toEqual({ hostId: null });
		expect(await caller.health.sampleNow()).toBe('sampled');
	});

	it('an unknown procedure is a clear error, and the proxy is not a thenable', async () => {
		const caller = scopeCaller(base(), () => null) as unknown as {
			nope: { x: () => Promise<unknown> };
		};
		await expect(caller.nope.x()).rejects.toThrow(/No procedure found on path/);
		expect((caller as unknown as { then?: unknown }).then).toBeUndefined();
	});
});
