// Issue 21 items 2 and 10 through the real router on a real SQLite file: refused mutations are
// rows, repeats coalesce into one row with a count, and the rate limit counts refusals too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Services } from '../services';
import type { Principal } from '../auth/auth';
import { createTestServices, type TestServices } from '../../../../tests/helpers/services';
import { listActions, pruneActions, recordEvent } from './actions';
import { createRefusalRecorder, refusalRecorder } from './refusals';

describe('refused mutations in the audit record', () => {
	let t: TestServices;
	let services: Services;
	beforeAll(async () => {
		t = await createTestServices({
			env: (dir) => ({ VMW_DOCKER_HOST: `unix://${path.join(dir, 'no-docker.sock')}` })
		});
		services = t.services;
	});
	afterAll(async () => {
		await t?.stop();
	});

	const caller = (principal: Principal | null, clientKey = '198.51.100.7') =>
		t.callerAs(principal, { clientKey });
	const rowsOf = async (action: string) =>
		(await listActions(services.db, { limit: 200, action })).filter((r) => r.action === action);

	it('a read token sending 1,000 alerts.mute leaves two rows, not 1,000: the role refusals and then the rate limit, each with its count', async () => {
		const token = caller({ role: 'viewer', via: 'token', tokenId: 901 });
		const codes: Record<string, number> = {};
		for (let i = 0; i < 1000; i++) {
			const code = await token.alerts.mute({ key: 'steal', minutes: 5 }).then(
				() => 'ok',
				(e: { code: string }) => e.code
			);
			codes[code] = (codes[code] ?? 0) + 1;
		}
		// refusals cost what acceptances do: 60 at once, then the limit
		expect(codes.FORBIDDEN).toBeGreaterThanOrEqual(60);
		expect(codes.FORBIDDEN).toBeLessThan(70);
		expect(codes.TOO_MANY_REQUESTS).toBe(1000 - codes.FORBIDDEN);
		await refusalRecorder(services.db).flushAll();
		const rows = await rowsOf('alerts.mute');
		expect(rows.map((r) => [r.actor, r.address, r.outcome])).toEqual([
			['token:viewer:#901', '198.51.100.7', 'denied'],
			['token:viewer:#901', '198.51.100.7', 'denied']
		]);
		const [limited, forbidden] = rows;
		expect(forbidden.result).toMatch(
			new RegExp(`^FORBIDDEN: This needs the operator role\\. \\(×${codes.FORBIDDEN} from `)
		);
		expect(limited.result).toMatch(
			new RegExp(
				`^TOO_MANY_REQUESTS: Too many changes; try again in \\d+ s\\. \\(×${codes.TOO_MANY_REQUESTS} from `
			)
		);
	});

	it('anonymous 401, invalid input (400) and an unknown target (404) on a mutation are rows too', async () => {
		expect(
			await caller(null)
				.containers.restart({ id: 'web' })
				.catch((e) => e.code)
		).toBe('UNAUTHORIZED');
		const op = caller({ role: 'operator', via: 'session', userId: 77, userName: 'olga' });
		expect(await op.alerts.mute({ key: 'NOT A KEY' }).catch((e) => e.code)).toBe('BAD_REQUEST');
		const missing = await op.containers.restart({ id: 'no-such-container' }).catch((e) => e.code);
		expect(missing).toMatch(/NOT_FOUND|SERVICE_UNAVAILABLE/);
		const restarts = await rowsOf('containers.restart');
		expect(restarts.map((r) => [r.actor, r.outcome, r.result?.split(':')[0]])).toEqual([
			['session:operator:olga', 'error', missing],
			['anonymous', 'denied', 'UNAUTHORIZED']
		]);
		const mutes = (await rowsOf('alerts.mute')).filter((r) => r.actor === 'session:operator:olga');
		expect(mutes.map((r) => [r.outcome, r.result?.split(':')[0]])).toEqual([
			['error', 'BAD_REQUEST']
		]);
	});

	it('auth.logout and hosts.setPreferred are rows', async () => {
		const made = await services.auth.createUser({
			name: 'pat',
			role: 'viewer',
			password: 'a long enough password'
		});
		expect(made.ok).toBe(true);
		const pat = { id: made.id!, name: 'pat', role: 'viewer' as const };
		const session = caller({ role: pat.role, via: 'session', userId: pat.id, userName: pat.name });
		expect(await session.hosts.setPreferred({ hostId: services.config.hostId })).toEqual({
			remembered: true
		});
		expect((await rowsOf('hosts.setPreferred')).map((r) => [r.actor, r.target, r.outcome])).toEqual(
			[[`session:${pat.role}:${pat.name}`, services.config.hostId, 'ok']]
		);
		await t
			.callerAs(
				{ role: pat.role, via: 'session', userId: pat.id, userName: pat.name },
				{ sessionId: 'some-session', clientKey: '198.51.100.7' }
			)
			.auth.logout();
		expect((await rowsOf('auth.logout')).map((r) => [r.actor, r.outcome])).toEqual([
			[`session:${pat.role}:${pat.name}`, 'ok']
		]);
	});
});

describe('coalescing and retention', () => {
	let harness: TestServices;
	let services: Services;
	beforeAll(async () => {
		harness = await createTestServices();
		services = harness.services;
	});
	afterAll(async () => {
		await harness?.stop();
	});

	it('repeats coalesce within the window; another reason, actor or a later window is a new row', async () => {
		let t = Date.UTC(2026, 0, 1);
		const r = createRefusalRecorder({ db: services.db, now: () => t, windowMs: 60_000 });
		const intent = { hostId: 'h', actor: 'token:viewer:#1', address: '10.0.0.1', action: 'x.y' };
		for (let i = 0; i < 5; i++) await r.record(intent, 'denied', 'FORBIDDEN: no');
		await r.record({ ...intent, actor: 'token:viewer:#2' }, 'denied', 'FORBIDDEN: no');
		await r.record(intent, 'denied', 'TOO_MANY_REQUESTS: slow down');
		t += 61_000;
		await r.record(intent, 'denied', 'FORBIDDEN: no');
		await r.flushAll();
		const rows = (await listActions(services.db, { action: 'x.y' })).reverse();
		expect(rows.map((x) => [x.actor, x.result])).toEqual([
			[
				'token:viewer:#1',
				'FORBIDDEN: no (×5 from 2026-01-01T00:00:00.000Z to 2026-01-01T00:00:00.000Z)'
			],
			['token:viewer:#2', 'FORBIDDEN: no'],
			['token:viewer:#1', 'TOO_MANY_REQUESTS: slow down'],
			['token:viewer:#1', 'FORBIDDEN: no']
		]);
	});

	it('pruneActions drops rows older than the retention, never a pending intent', async () => {
		const day = 86_400_000;
		const now = Date.UTC(2027, 0, 1);
		const base = { hostId: 'h', actor: 'a', action: 'prune.test' };
		await recordEvent(services.db, base, 'ok', 'old', now - 400 * day);
		await recordEvent(services.db, base, 'ok', 'recent', now - 10 * day);
		const { recordIntent } = await import('./actions');
		await recordIntent(services.db, base, now - 400 * day);
		expect(await pruneActions(services.db, now - 365 * day)).toBe(1);
		expect(
			(await listActions(services.db, { action: 'prune.test' })).map((r) => r.result ?? r.outcome)
		).toEqual(['pending', 'recent']);
	});
});

describe('VMW_AUDIT_RETENTION_DAYS', () => {
	it('defaults to 365 days; the sampler prune pass prunes the audit record with it', async () => {
		const { parseConfig: parse } = await import('../config');
		expect(parse({}).auditRetentionMs).toBe(365 * 86_400_000);
		expect(parse({ VMW_AUDIT_RETENTION_DAYS: '30' }).auditRetentionMs).toBe(30 * 86_400_000);
		expect(() => parse({ VMW_AUDIT_RETENTION_DAYS: '0' })).toThrow(/VMW_AUDIT_RETENTION_DAYS/);

		const { freshDb } = await import('../../../../tests/helpers/db');
		const { withAuditRetention } = await import('./retention');
		const { createLogger } = await import('../log');
		const t = await freshDb();
		try {
			const now = Date.UTC(2027, 0, 1);
			await recordEvent(
				t.db,
				{ hostId: 'h', actor: 'a', action: 'old' },
				'denied',
				'x',
				now - 31 * 86_400_000
			);
			await recordEvent(
				t.db,
				{ hostId: 'h', actor: 'a', action: 'new' },
				'denied',
				'x',
				now - 29 * 86_400_000
			);
			const pruned: number[] = [];
			const store = withAuditRetention(
				{ pruneOlderThan: async (ts: number) => (pruned.push(ts), 7) },
				{ db: t.db, retentionMs: 30 * 86_400_000, log: createLogger('t'), now: () => now }
			);
			expect(await store.pruneOlderThan(123)).toBe(7);
			expect(pruned).toEqual([123]);
			expect((await listActions(t.db)).map((r) => r.action)).toEqual(['new']);
		} finally {
			await t.cleanup();
		}
	});
});
