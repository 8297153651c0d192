// The role builders every router declares its procedures with.
import { describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import {
	adminProcedure,
	clientErrorShape,
	MUTATION_BURST,
	createCallerFactory,
	hostOperatorProcedure,
	hostViewerProcedure,
	hubLocalHostViewerProcedure,
	operatorProcedure,
	publicProcedure,
	router,
	viewerProcedure
} from './init';
import type { Context } from './init';
import { createInnerContext } from './context';
import type { Principal } from '../auth/auth';

const probe = router({
	open: publicProcedure.query(() => 'open'),
	read: viewerProcedure.query(() => 'read'),
	act: operatorProcedure.mutation(() => 'acted'),
	administer: adminProcedure.mutation(() => 'administered'),
	hostRead: hostViewerProcedure.query(({ ctx }) => `read ${ctx.host.id}`),
	hostAct: hostOperatorProcedure.mutation(({ ctx }) => `acted ${ctx.host.id}`),
	hubLocalRead: hubLocalHostViewerProcedure.query(({ ctx }) => `read ${ctx.host.id}`)
});

const callAs = (principal: Principal | null) =>
	createCallerFactory(probe)(
		createInnerContext({
			principal,
			services: { config: { hostId: 'vm1' } } as Context['services']
		})
	);

describe('procedure builders', () => {
	it.each([
		[
			'nobody',
			null,
			{
				open: 'open',
				read: 'UNAUTHORIZED',
				act: 'UNAUTHORIZED',
				administer: 'UNAUTHORIZED',
				hostRead: 'UNAUTHORIZED',
				hostAct: 'UNAUTHORIZED',
				hubLocalRead: 'UNAUTHORIZED'
			}
		],
		[
			'API token (viewer)',
			{ role: 'viewer', via: 'token' },
			{
				open: 'open',
				read: 'read',
				act: 'FORBIDDEN',
				administer: 'FORBIDDEN',
				hostRead: 'read vm1',
				hostAct: 'FORBIDDEN',
				hubLocalRead: 'read vm1'
			}
		],
		[
			'viewer session',
			{ role: 'viewer', via: 'session' },
			{
				open: 'open',
				read: 'read',
				act: 'FORBIDDEN',
				administer: 'FORBIDDEN',
				hostRead: 'read vm1',
				hostAct: 'FORBIDDEN',
				hubLocalRead: 'read vm1'
			}
		],
		[
			'operator session',
			{ role: 'operator', via: 'session' },
			{
				open: 'open',
				read: 'read',
				act: 'acted',
				administer: 'FORBIDDEN',
				hostRead: 'read vm1',
				hostAct: 'acted vm1',
				hubLocalRead: 'read vm1'
			}
		],
		[
			'admin session',
			{ role: 'admin', via: 'session' },
			{
				open: 'open',
				read: 'read',
				act: 'acted',
				administer: 'administered',
				hostRead: 'read vm1',
				hostAct: 'acted vm1',
				hubLocalRead: 'read vm1'
			}
		],
		[
			'auth off (admin)',
			{ role: 'admin', via: 'auth-off' },
			{
				open: 'open',
				read: 'read',
				act: 'acted',
				administer: 'administered',
				hostRead: 'read vm1',
				hostAct: 'acted vm1',
				hubLocalRead: 'read vm1'
			}
		]
	] as const)('%s', async (_name, principal, expected) => {
		const caller = callAs(principal);
		const outcome = (p: Promise<string>) => p.catch((e: { code: string }) => e.code);
		expect({
			open: await outcome(caller.open()),
			read: await outcome(caller.read()),
			act: await outcome(caller.act()),
			administer: await outcome(caller.administer()),
			hostRead: await outcome(caller.hostRead()),
			hostAct: await outcome(caller.hostAct()),
			hubLocalRead: await outcome(caller.hubLocalRead())
		}).toEqual(expected);
	});
});

describe('errors sent to clients', () => {
	const boom = router({
		sql: publicProcedure.mutation(() => {
			throw new Error(
				'Failed query: insert into "settings" ... params: admin_password_hash,scrypt$16384$8$1$salt$hash'
			);
		}),
		known: publicProcedure.query(() => {
			throw new TRPCError({ code: 'BAD_REQUEST', message: 'Setup is already done.' });
		})
	});
	const caller = createCallerFactory(boom)(
		createInnerContext({ principal: null, services: {} as Context['services'] })
	);
	const shapeOf = async (p: Promise<unknown>, isDev: boolean) => {
		const err = (await p.catch((e) => e)) as TRPCError;
		return clientErrorShape(
			{
				message: err.message,
				code: -32603,
				data: { code: err.code, httpStatus: 500, stack: err.stack }
			},
			err,
			isDev
		);
	};

	it('outside development: no stack, and an unexpected error says only "internal error"', async () => {
		const sql = await shapeOf(caller.sql(), false);
		expect(sql.data).not.toHaveProperty('stack');
		expect(sql.message).toBe('Internal error; see the server log.');
		const known = await shapeOf(caller.known(), false);
		expect(known).toMatchObject({ message: 'Setup is already done.' });
		expect(known.data).not.toHaveProperty('stack');
	});

	it('an error message carries no URL credentials, path or query (issue 21 item 3)', async () => {
		const err = new TRPCError({
			code: 'PRECONDITION_FAILED',
			message:
				'webhook failed: Request cannot be constructed from a URL that includes credentials: https://bot:pa55@hooks.example.com/services/KEY?token=t0k3n'
		});
		const shape = clientErrorShape(
			{ message: err.message, code: -32603, data: { stack: undefined as string | undefined } },
			err
		);
		expect(shape.message).toBe(
			'webhook failed: Request cannot be constructed from a URL that includes credentials: https://hooks.example.com/…'
		);
	});

	it('in development the stack and message stay', async () => {
		const sql = await shapeOf(caller.sql(), true);
		expect(sql.data.stack).toMatch(/Failed query/);
	});
});

describe('mutation rate limit per principal', () => {
	it(`allows ${MUTATION_BURST} state changes at once, then TOO_MANY_REQUESTS for that principal only`, async () => {
		const busy = createCallerFactory(probe)(
			createInnerContext({
				principal: { role: 'operator', via: 'token', tokenId: 424242 },
				services: {} as Context['services']
			})
		);
		const other = createCallerFactory(probe)(
			createInnerContext({
				principal: { role: 'operator', via: 'token', tokenId: 434343 },
				services: {} as Context['services']
			})
		);
		const outcomes: string[] = [];
		for (let i = 0; i < MUTATION_BURST + 1; i++)
			outcomes.push(await busy.act().catch((e: { code: string }) => e.code));
		expect(outcomes.filter((o) => o === 'acted')).toHaveLength(MUTATION_BURST);
		expect(outcomes.at(-1)).toBe('TOO_MANY_REQUESTS');
		expect(await other.act()).toBe('acted');
		// Reads are not limited.
		expect(await busy.read()).toBe('read');
	});
});
