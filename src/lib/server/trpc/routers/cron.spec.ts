// The cron and maintenance routers' boundary: roles, strict inputs, host ids, error mapping.
// The domain behind them is a stand-in that records what reached it.
import { describe, expect, it } from 'vitest';
import type { Context } from '../init';
import type { Principal } from '../../auth/auth';
import { RunConflictError } from '../../maintenance/runner';
import { BadCursorError } from '../../maintenance/run-history';
import { callerAs } from '../../../../../tests/helpers/services';

const SECRET_LINE = 'PGPASSWORD=hunter2 pg_dump -h db app > /b/app.sql';

function setup({ startError }: { startError?: Error } = {}) {
	const calls: unknown[] = [];
	const maintenance = {
		status: async () => ({
			jobs: [
				{
					name: 'backup',
					command: SECRET_LINE,
					wrapSuggestion: `0 3 * * * root /usr/local/bin/cron-run backup -- ${SECRET_LINE}`
				}
			],
			at: 'now'
		}),
		history: async (q: unknown) => {
			calls.push(['history', q]);
			if ((q as { cursor?: string }).cursor === 'bad') throw new BadCursorError('invalid cursor');
			return { entries: [], nextCursor: null, malformed: 0, unreadable: [] };
		},
		startCleanup: async (q: unknown) => {
			calls.push(['start', q]);
			if (startError) throw startError;
			return { runId: 'app-1' };
		},
		runner: {
			scriptState: async () => ({ path: '/s/vm-cleanup.sh', found: true, reason: null }),
			active: () => null,
			last: () => null,
			subscribe: () => () => {}
		}
	};
	const services = { config: { hostId: 'vm1' }, maintenance } as unknown as Context['services'];
	const as = (principal: Principal | null) =>
		callerAs(principal, { services, clientKey: '127.0.0.1' });
	return { calls, as };
}

const code = (p: Promise<unknown>) => p.then(() => 'ok').catch((e: { code: string }) => e.code);
const operator: Principal = { role: 'operator', via: 'session' };
const viewerSession: Principal = { role: 'viewer', via: 'session' };
const token: Principal = { role: 'viewer', via: 'token' };

describe('maintenance.run', () => {
	it.each([
		['nobody', null, 'UNAUTHORIZED'],
		['read-only token', token, 'FORBIDDEN'],
		['viewer session', viewerSession, 'FORBIDDEN'],
		['operator', operator, 'ok']
	] as const)('%s -> %s', async (_n, who, expected) => {
		const { as, calls } = setup();
		expect(await code(as(who).maintenance.run({ mode: 'standard', dryRun: true }))).toBe(expected);
		expect(calls.length).toBe(expected === 'ok' ? 1 : 0);
	});

	it.each([
		[{ mode: 'standard;touch /tmp/x', dryRun: true }],
		[{ mode: 'standard', dryRun: 'yes' }],
		[{ mode: 'standard', dryRun: true, args: ['--full'] }],
		[{ mode: '--full', dryRun: false }]
	])('refuses %j before anything runs', async (input) => {
		const { as, calls } = setup();
		expect(await code(as(operator).maintenance.run(input as never))).toBe('BAD_REQUEST');
		expect(calls).toEqual([]);
	});

	it('passes who and from where to the domain, and maps a held lock to CONFLICT', async () => {
		const { as, calls } = setup();
		await as(operator).maintenance.run({ mode: 'weekly', dryRun: false });
		expect(calls).toEqual([
			[
				'start',
				{
					mode: 'weekly',
					dryRun: false,
					intent: { hostId: 'vm1', actor: 'session:operator', address: '127.0.0.1' }
				}
			]
		]);
		const held = setup({
			startError: new RunConflictError(
				'the cleanup lock /run/lock/x is held: a weekly cleanup started at 03:30'
			)
		});
		const err = await held
			.as(operator)
			.maintenance.run({ mode: 'standard', dryRun: true })
			.catch((e: { code: string; message: string }) => e);
		expect(err).toMatchObject({
			code: 'CONFLICT',
			message:
				'A cleanup is already running: the cleanup lock /run/lock/x is held: a weekly cleanup started at 03:30'
		});
	});

	it('answers NOT_FOUND for another host', async () => {
		const { as } = setup();
		expect(
			await code(as(operator).maintenance.run({ hostId: 'other', mode: 'standard', dryRun: true }))
		).toBe('NOT_FOUND');
	});
});

describe('cron.status commands by role (issue 21 item 5)', () => {
	it('operators see the line as written; viewers and read tokens see secrets masked', async () => {
		const { as } = setup();
		const job = async (p: Principal) =>
			(await as(p).cron.status()).jobs[0] as unknown as { command: string; wrapSuggestion: string };
		expect((await job(operator)).command).toBe(SECRET_LINE);
		for (const p of [token, viewerSession]) {
			const seen = await job(p);
			expect(seen.command).toBe('PGPASSWORD=*** pg_dump -h db app > /b/app.sql');
			expect(seen.wrapSuggestion).not.toContain('hunter2');
		}
	});
});

describe('cron queries', () => {
	it('the read-only token reads status and history; nobody does not', async () => {
		const { as } = setup();
		expect(await code(as(token).cron.status())).toBe('ok');
		expect(await code(as(token).cron.history({ limit: 5 }))).toBe('ok');
		expect(await code(as(null).cron.status())).toBe('UNAUTHORIZED');
	});

	it('validates history input and maps a forged cursor to BAD_REQUEST', async () => {
		const { as, calls } = setup();
		expect(await code(as(token).cron.history({ job: '../../etc/passwd' }))).toBe('BAD_REQUEST');
		expect(await code(as(token).cron.history({ limit: 10_000 }))).toBe('BAD_REQUEST');
		expect(await code(as(token).cron.history({ cursor: 'bad' }))).toBe('BAD_REQUEST');
		expect(await code(as(token).cron.history({ job: 'backup-sync', unknown: 1 } as never))).toBe(
			'BAD_REQUEST'
		);
		await as(token).cron.history({ job: 'cleanup-standard' });
		expect(calls.at(-1)).toEqual([
			'history',
			{ job: 'cleanup-standard', limit: 50, cursor: undefined }
		]);
	});
});
