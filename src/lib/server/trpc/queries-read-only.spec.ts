// "Queries never change state" (DESIGN), checked for every query the router has, present and
// future: each one is called (as admin, with a plain input and a sample input where it needs
// one) against a database that holds a user, a token, samples and an audit trail, and the whole
// database must read the same afterwards. A query that writes (a cache row, a "seen" mark, an
// audit row) fails here with its path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { fakeProc, type FakeProc } from '../../../../tests/helpers/proc';
import type { Services } from '../services';
import { appRouter } from './router';
import { createTestServices, type TestServices } from '../../../../tests/helpers/services';
import type { Principal } from '../auth/auth';
import { TREND_IDS, TREND_RANGES } from '../../trends';

/** Inputs for queries that refuse `undefined` and `{}` (their required fields). */
const SAMPLE_INPUT: Record<string, unknown> = {
	'health.history': { range: '1h' },
	'containers.detail': { id: 'vmw-no-such-container' },
	'containers.logs': { id: 'vmw-no-such-container' },
	'containers.history': { key: 'shop/web' },
	'ollama.impact': { model: 'llama3.1:8b' },
	'trends.series': { metric: TREND_IDS[0], range: TREND_RANGES[0] },
	'hub.all': { procedure: 'health.snapshot' }
};

let harness: TestServices;
let proc: FakeProc;
let services: Services;
const admin: Principal = { role: 'admin', via: 'session', userId: 1, userName: 'admin' };
const caller = () => harness.callerAs(admin, { clientKey: '127.0.0.7' });

/** Every row of every table, hashed per table. */
async function fingerprint(): Promise<Record<string, string>> {
	const client = services.db.$client;
	const tables = (
		await client.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
	).rows.map((r) => String(r.name));
	const out: Record<string, string> = {};
	for (const t of tables) {
		const rows = (await client.execute(`SELECT * FROM "${t}" ORDER BY rowid`)).rows;
		out[t] =
			`${rows.length}:${createHash('sha256').update(JSON.stringify(rows)).digest('hex').slice(0, 16)}`;
	}
	return out;
}

beforeAll(async () => {
	proc = fakeProc({ stat: 'stat.vm-steal.t0', meminfo: 'meminfo.vm-swap', loadavg: 'loadavg.vm' });
	harness = await createTestServices({
		env: (dir) => ({
			VMW_PROC_ROOT: proc.dir,
			VMW_LOG_DIR: dir,
			VMW_HOST_ID: 'vm-test',
			// nothing answers on these loopback ports: those queries take their "unavailable" path
			VMW_DOCKER_HOST: `unix://${path.join(dir, 'no-docker.sock')}`,
			VMW_PROMETHEUS_URL: 'http://127.0.0.1:9',
			VMW_OLLAMA_URL: 'http://127.0.0.1:9'
		})
	});
	services = harness.services;
	// state for queries to read (and, if one wrongly wrote, to change)
	await services.sampler.sampleOnce();
	proc.use('stat', 'stat.vm-steal.t1');
	await caller().health.sampleNow();
	await caller().users.create({
		name: 'alice',
		role: 'operator',
		password: 'a long enough password 1'
	});
	await caller().tokens.create({ name: 'ci', scope: 'read', expiresInDays: 30 });
});

afterAll(async () => {
	await harness?.stop();
	proc?.cleanup();
});

describe('queries change no state', () => {
	// no public tRPC 11 API lists or looks up a router's procedures: _def.procedures (typed in the exported TRPCRouterDef)
	const queries = Object.entries(
		appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>
	)
		.filter(([, p]) => p._def.type === 'query')
		.map(([name]) => name);

	it('the router has the queries this walks (so an empty walk cannot pass)', () => {
		expect(queries.length).toBeGreaterThanOrEqual(30);
		expect(queries).toEqual(
			expect.arrayContaining([
				'health.snapshot',
				'containers.list',
				'cron.status',
				'score.current',
				'alerts.digestPreview',
				'resources.report'
			])
		);
	});

	it.each(queries)('%s', async (name) => {
		const before = await fingerprint();
		const fn = name
			.split('.')
			.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller()) as (
			input?: unknown
		) => Promise<unknown>;
		const inputs: unknown[] = [
			undefined,
			{},
			{ hostId: 'vm-test' },
			...(name in SAMPLE_INPUT ? [SAMPLE_INPUT[name]] : [])
		];
		let reached = false;
		for (const input of inputs) {
			try {
				await fn(input);
				reached = true;
			} catch (err) {
				// a refused input never reached the resolver; any other error did (Docker down, …)
				if (!(err instanceof TRPCError && err.code === 'BAD_REQUEST')) reached = true;
			}
		}
		expect(reached, `${name}: no input reached its resolver; add one to SAMPLE_INPUT`).toBe(true);
		expect(await fingerprint()).toEqual(before);
	});
});
