// The hub (issue 15, decision 0013) against real parts: three BUILT vmwarden instances on loopback
// ports ("hub", "vm1", "vm2"; each its own VMW_HOST_ID, fake /proc with its own figures, and its
// own slice of the rig's dockerd through VMW_CONTAINER_LABELS), and a second dockerd this test
// starts for a bare Docker host. The hub has vm1, vm2 (kind vmwarden, operate-scope tokens made
// on each) and "dock" (kind docker, unix socket of the second dockerd, the rig's node_exporter)
// in its registry, added through the hub's admin API (hosts.add).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import type Docker from 'dockerode';
import { startServer, TEST_TOKEN, type RunningServer } from '../helpers/server';
import { createVmwardenClient } from '../../src/lib/client';
import {
	addHosts,
	bodies,
	fakeHostProcs,
	GiB_KB,
	instanceEnv,
	login,
	trpc,
	waitFor
} from '../helpers/hub';
import { requireDocker, rigEnv } from '../helpers/rig';
import { createTestContainer, newRunId, removeRun } from '../helpers/containers';
import { startOwnDockerd, type OwnDockerd } from '../helpers/own-dockerd';
import { openDb } from '../../src/lib/server/db';
import { actions } from '../../src/lib/server/db/schema';
import type { OverviewRow } from '../../src/lib/server/hub/types';

const SECRET_KEY = 'hub-test-secret-key-0123456789abcdef0123456789';
const REFRESH_MS = 1_000;
const HOST_TIMEOUT_MS = 1_500;
/** the timeout of a host that never answers: long enough that 'answered from memory' is clear under load */
const MUTE_MS = 2_500;

// Each instance's figures, and what its summary must say about them (derived by hand from the text):
// stat.vm-steal.* has 4 CPUs (steal 8.25 % -> WARN), stat.local.* has 2 (steal 0 % -> OK).
const HOSTS = {
	hub: {
		stat: ['stat.vm-steal.t0', 'stat.vm-steal.t1'],
		load: '0.25 0.20 0.15 1/100 100\n',
		mem: 12 * GiB_KB,
		load1: 'load 0.25 on 4 CPUs',
		memory: '12 GiB available',
		memStatus: 'OK',
		steal: 'WARN'
	},
	vm1: {
		stat: ['stat.local.t0', 'stat.local.t1'],
		load: '0.50 0.40 0.30 1/100 100\n',
		mem: 8 * GiB_KB,
		load1: 'load 0.50 on 2 CPUs',
		memory: '8 GiB available',
		memStatus: 'OK',
		steal: 'OK'
	},
	// 512 MiB available < the 1 GiB critical line
	vm2: {
		stat: ['stat.vm-steal.t0', 'stat.vm-steal.t1'],
		load: '1.00 0.90 0.80 1/100 100\n',
		mem: 512 * 1024,
		load1: 'load 1.00 on 4 CPUs',
		memory: null,
		memStatus: 'CRIT',
		steal: 'WARN'
	}
} as const;
type Id = keyof typeof HOSTS;

const RANK = { CRIT: 3, WARN: 2, UNKNOWN: 1, OK: 0 } as const;
const rankOf = (r: OverviewRow) => (r.state === 'unavailable' ? 4 : RANK[r.data.status]);
const dim = (r: OverviewRow, name: string) =>
	r.state === 'ok' ? r.data.dimensions.find((d) => d.name === name) : undefined;

describe('hub over three instances and a bare Docker host', () => {
	const run = newRunId('hub');
	let docker: Docker;
	let own: OwnDockerd;
	let procs: ReturnType<typeof fakeHostProcs<Id>> | undefined;
	const servers = {} as Record<Id, RunningServer>;
	const tokens: Record<'vm1' | 'vm2', { id: number; secret: string }> = {} as never;
	let hubDbUrl: string;
	let cookie: string;
	const names = { hub: `${run}-hub`, vm1: `${run}-vm1`, vm2: `${run}-vm2`, dock: `${run}-dock` };

	beforeAll(async () => {
		const env = rigEnv();
		docker = await requireDocker(env);
		// one container per instance's slice of the rig's dockerd; vm1's fails its health check
		for (const id of ['hub', 'vm1', 'vm2'] as const)
			await createTestContainer(docker, env.testImage, run, {
				name: names[id],
				labels: { 'hubtest.scope': id },
				health: id === 'vm1' ? { cmd: 'false', retries: 1 } : undefined
			});
		own = await startOwnDockerd({ image: env.testImage, rigHost: env.dockerHost });
		await createTestContainer(own.docker, env.testImage, run, { name: names.dock });

		procs = fakeHostProcs(HOSTS);
		const base = (id: Id, extra: Record<string, string> = {}) =>
			instanceEnv(
				{
					id,
					procRoot: procs!.dir(id),
					dockerHost: env.dockerHost,
					run,
					scopeLabel: 'hubtest.scope'
				},
				extra
			);
		[servers.vm1, servers.vm2] = await Promise.all([
			startServer(base('vm1')),
			startServer(base('vm2'))
		]);
		for (const id of ['vm1', 'vm2'] as const) {
			const c = await login(servers[id].url);
			const made = await trpc(servers[id].url, { cookie: c }, 'mutation', 'tokens.create', {
				name: 'hub',
				scope: 'hub',
				expiresInDays: null
			});
			tokens[id] = made.data;
			expect(tokens[id].secret).toMatch(/^vmw_/);
		}
		// the hub, and its registry written through its own admin API (hosts.add)
		servers.hub = await startServer(
			base('hub', { VMW_SECRET_KEY: SECRET_KEY, VMW_HUB_REFRESH_MS: String(REFRESH_MS) })
		);
		hubDbUrl = `file:${path.join(servers.hub.dataDir, 'vmwarden.db')}`;
		cookie = await login(servers.hub.url);
		const drafts = [
			{
				id: 'vm1',
				name: 'VM one',
				kind: 'vmwarden',
				url: servers.vm1.url,
				timeoutMs: HOST_TIMEOUT_MS,
				secrets: { token: tokens.vm1.secret }
			},
			{
				id: 'vm2',
				name: 'VM two',
				kind: 'vmwarden',
				url: servers.vm2.url,
				timeoutMs: HOST_TIMEOUT_MS,
				secrets: { token: tokens.vm2.secret }
			},
			{
				id: 'dock',
				name: 'Bare dock',
				kind: 'docker',
				dockerHost: own.host,
				nodeExporterUrl: `${env.nodeExporterUrl}/metrics`,
				timeoutMs: 5_000
			}
		];
		await addHosts(servers.hub.url, cookie, drafts);
	}, 180_000);

	afterAll(async () => {
		await Promise.all(Object.values(servers).map((s) => s?.stop()));
		procs?.stop();
		if (docker) await removeRun(docker, run);
		await own?.destroy();
	}, 120_000);

	const overview = async (): Promise<OverviewRow[]> => {
		const r = await trpc(servers.hub.url, { cookie }, 'query', 'hub.overview');
		if (r.error) throw new Error(`${r.error.code}: ${r.error.message}`);
		return r.data;
	};

	it('the overview shows each host with its own figures, worst first', async () => {
		const rows = await waitFor('every row with its figures', async () => {
			const rows = await overview();
			const ready =
				rows.length === 4 &&
				rows.every((r) => r.state === 'ok') &&
				(['hub', 'vm1', 'vm2'] as const).every(
					(id) =>
						dim(
							rows.find((r) => r.hostId === id)!,
							'steal'
						)?.status === HOSTS[id].steal
				);
			const unhealthyKnown =
				rows.find((r) => r.hostId === 'vm1')?.state === 'ok' &&
				(rows.find((r) => r.hostId === 'vm1') as { data: { unhealthy: unknown[] } }).data.unhealthy
					.length === 1;
			return ready && unhealthyKnown ? rows : undefined;
		});
		expect(rows.map((r) => [r.hostId, r.name, r.kind]).sort()).toEqual([
			['dock', 'Bare dock', 'docker'],
			['hub', 'hub', 'local'],
			['vm1', 'VM one', 'vmwarden'],
			['vm2', 'VM two', 'vmwarden']
		]);
		for (const id of ['hub', 'vm1', 'vm2'] as const) {
			const row = rows.find((r) => r.hostId === id)!;
			const h = HOSTS[id];
			expect(row.state === 'ok' && row.data.hostId).toBe(id);
			expect(dim(row, 'load')).toEqual({ name: 'load', status: 'OK', detail: h.load1 });
			expect(dim(row, 'memory')?.status).toBe(h.memStatus);
			if (h.memory) expect(dim(row, 'memory')?.detail).toBe(h.memory);
			else expect(dim(row, 'memory')?.detail).toMatch(/512 MiB/);
		}
		// vm1's container fails its health check: the only unhealthy one, and only on vm1
		const vm1 = rows.find((r) => r.hostId === 'vm1')!;
		expect(vm1.state === 'ok' && vm1.data.unhealthy.map((u) => u.name)).toEqual([names.vm1]);
		for (const id of ['hub', 'vm2'] as const) {
			const r = rows.find((x) => x.hostId === id)!;
			expect(r.state === 'ok' && r.data.unhealthy).toEqual([]);
			expect(dim(r, 'containers')).toEqual({
				name: 'containers',
				status: 'OK',
				detail: '1 running, none unhealthy'
			});
		}
		// the bare Docker host: its one container, and host figures from node_exporter
		const dock = rows.find((r) => r.hostId === 'dock')!;
		expect(dock.state === 'ok' && dock.data.score).toBe(null);
		expect(dim(dock, 'containers')).toEqual({
			name: 'containers',
			status: 'OK',
			detail: '1 running, none unhealthy'
		});
		expect(dim(dock, 'memory')?.detail).toMatch(/available$/);
		expect(dock.state === 'ok' && dock.data.diskProjection?.mount).toBe('/');
		// worst first (rank recomputed here: unavailable > CRIT > WARN > UNKNOWN > OK)
		const ranks = rows.map(rankOf);
		expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
		expect(
			rows.find((r) => r.hostId === 'vm2')!.state === 'ok' &&
				(rows.find((r) => r.hostId === 'vm2') as { data: { status: string } }).data.status
		).toBe('CRIT');
	});

	it('a query with a host id is answered by that host; an unknown host is NOT_FOUND', async () => {
		const list = await trpc(servers.hub.url, { cookie }, 'query', 'containers.list', {
			hostId: 'vm2'
		});
		expect(list.data.state).toBe('ok');
		expect(list.data.data.map((c: { name: string }) => c.name)).toEqual([names.vm2]);
		const local = await trpc(servers.hub.url, { cookie }, 'query', 'containers.list', {});
		expect(local.data.data.map((c: { name: string }) => c.name)).toEqual([names.hub]);
		const unknown = await trpc(servers.hub.url, { cookie }, 'query', 'containers.list', {
			hostId: 'nope'
		});
		expect(unknown.error?.code).toBe('NOT_FOUND');
		// the hub's own session business is never forwarded (its strict input refuses the hostId here)
		const logout = await trpc(servers.hub.url, { cookie }, 'mutation', 'auth.logoutEverywhere', {
			hostId: 'vm1'
		});
		expect(logout.error?.code).toBe('BAD_REQUEST');
		expect(
			(await trpc(servers.hub.url, { cookie }, 'query', 'hub.overview')).error
		).toBeUndefined(); // still logged in
		// a hostile host id is refused by the input check, never looked up
		const hostile = await trpc(servers.hub.url, { cookie }, 'query', 'containers.list', {
			hostId: '../../' + 'x'.repeat(2_000)
		});
		expect(hostile.error?.code).toBe('BAD_REQUEST');
		// the remote's own refusal keeps its code, prefixed with the host's name
		const wrong = await trpc(servers.hub.url, { cookie }, 'mutation', 'containers.restart', {
			hostId: 'vm1',
			id: names.vm2
		});
		expect(wrong.error).toEqual({
			code: 'NOT_FOUND',
			message: `VM one: no container "${names.vm2}" in the current list`
		});
		// procedures without a hostId field are forwarded too (the summary of vm1 itself)
		const summary = await trpc(servers.hub.url, { cookie }, 'query', 'hub.summary', {
			hostId: 'vm1'
		});
		expect(summary.data.hostId).toBe('vm1');
	});

	it('a restart through the hub lands on that host only and is in both audit logs with the hub user', async () => {
		const started = async () =>
			Object.fromEntries(
				await Promise.all(
					(['hub', 'vm1', 'vm2'] as const).map(async (id) => [
						id,
						(await docker.getContainer(names[id]).inspect()).State.StartedAt
					])
				)
			);
		const before = await started();
		const res = await trpc(servers.hub.url, { cookie }, 'mutation', 'containers.restart', {
			hostId: 'vm1',
			id: names.vm1
		});
		expect(res.error).toBeUndefined();
		const after = await started();
		expect(after.vm1).not.toBe(before.vm1);
		expect(after.hub).toBe(before.hub);
		expect(after.vm2).toBe(before.vm2);
		// vm1's record, read through the hub (forwarded query): the token, and the hub user it acted for
		const remote = await trpc(servers.hub.url, { cookie }, 'query', 'activity.list', {
			hostId: 'vm1',
			action: 'containers.restart'
		});
		// newest first: this restart, then the previous test's refusal (vm2's container named on vm1:
		// a 404 before acting, recorded by the refusal audit with no target of its own, issue 21 item 10)
		expect(
			remote.data.items.map((a: { actor: string; target: string; outcome: string }) => [
				a.actor,
				a.target,
				a.outcome
			])
		).toEqual([
			[`token:operator:#${tokens.vm1.id} for session:admin:admin@hub`, names.vm1, 'ok'],
			[`token:operator:#${tokens.vm1.id} for session:admin:admin@hub`, null, 'error']
		]);
		// the hub's own record (its database): the hub user, with the target host's id
		const db = await openDb({ url: hubDbUrl, migrationsDir: 'drizzle' });
		try {
			const rows = (await db.select().from(actions)).filter(
				(a) => a.action === 'containers.restart'
			);
			// the refused restart of the previous test (vm2's container named on vm1) is recorded too
			expect(rows.map((a) => [a.hostId, a.actor, a.target, a.outcome])).toEqual([
				['vm1', 'session:admin:admin', names.vm2, 'error'],
				['vm1', 'session:admin:admin', names.vm1, 'ok']
			]);
		} finally {
			db.$client.close();
		}
	});

	it('the bare Docker host answers the containers router and refuses the others', async () => {
		const list = await trpc(servers.hub.url, { cookie }, 'query', 'containers.list', {
			hostId: 'dock'
		});
		expect(list.data.data.map((c: { name: string }) => c.name)).toEqual([names.dock]);
		const before = (await own.docker.getContainer(names.dock).inspect()).State.StartedAt;
		const rigBefore = (await docker.getContainer(names.hub).inspect()).State.StartedAt;
		const res = await trpc(servers.hub.url, { cookie }, 'mutation', 'containers.restart', {
			hostId: 'dock',
			id: names.dock
		});
		expect(res.error).toBeUndefined();
		expect((await own.docker.getContainer(names.dock).inspect()).State.StartedAt).not.toBe(before);
		expect((await docker.getContainer(names.hub).inspect()).State.StartedAt).toBe(rigBefore);
		const summary = await trpc(servers.hub.url, { cookie }, 'query', 'hub.summary', {
			hostId: 'dock'
		});
		expect([
			summary.data.hostId,
			summary.data.score,
			summary.data.lastCleanup,
			summary.data.unhealthy
		]).toEqual(['dock', null, null, []]);
		const snap = await trpc(servers.hub.url, { cookie }, 'query', 'health.snapshot', {
			hostId: 'dock'
		});
		expect(snap.error).toEqual({
			code: 'PRECONDITION_FAILED',
			message:
				'Bare dock is a bare Docker host: no health there (only containers, logs, restarts and host figures)'
		});
		const db = await openDb({ url: hubDbUrl, migrationsDir: 'drizzle' });
		try {
			const rows = (await db.select().from(actions)).filter((a) => a.hostId === 'dock');
			expect(rows.map((a) => [a.action, a.actor, a.target, a.outcome])).toEqual([
				['containers.restart', 'session:admin:admin', names.dock, 'ok']
			]);
		} finally {
			db.$client.close();
		}
		// the same row is the bare host's activity, answered by the hub (it has no audit log of its own)
		const activity = await trpc(servers.hub.url, { cookie }, 'query', 'activity.list', {
			hostId: 'dock'
		});
		expect(
			activity.data.items.map((a: { action: string; actor: string; target: string }) => [
				a.action,
				a.actor,
				a.target
			])
		).toEqual([['containers.restart', 'session:admin:admin', names.dock]]);
	});

	it('subscriptions: a host live stream is relayed by the hub, and hub.live pushes the rows', async () => {
		const client = createVmwardenClient({ url: servers.hub.url, token: TEST_TOKEN });
		// containers.live of vm1 through the hub: vm1's own list (its one container), not the hub's
		const first = await new Promise<{ state: string; data: { name: string }[] }>(
			(resolve, reject) => {
				const sub = client.containers.live.subscribe(
					{ hostId: 'vm1' },
					{
						onData: (v) => {
							sub.unsubscribe();
							resolve(v as never);
						},
						onError: reject
					}
				);
				setTimeout(() => reject(new Error('no containers.live value from vm1 in 15 s')), 15_000);
			}
		);
		expect(first.state).toBe('ok');
		expect(first.data.map((c) => c.name)).toEqual([names.vm1]);
		// hub.live: all four rows at once, then again as hosts refresh (every REFRESH_MS)
		const pushes: OverviewRow[][] = [];
		await new Promise<void>((resolve, reject) => {
			const sub = client.hub.live.subscribe(undefined, {
				onData: (rows) => {
					pushes.push(rows as OverviewRow[]);
					if (pushes.length === 2) {
						sub.unsubscribe();
						resolve();
					}
				},
				onError: reject
			});
			setTimeout(() => reject(new Error(`hub.live gave ${pushes.length} pushes in 15 s`)), 15_000);
		});
		for (const rows of pushes)
			expect(rows.map((r) => r.hostId).sort()).toEqual(['dock', 'hub', 'vm1', 'vm2']);
	});

	it('a host that accepts connections but never answers costs its own row its timeout, nothing more', async () => {
		// a TCP listener that never answers: the hub's request waits for the host's timeout (MUTE_MS)
		const sockets: Socket[] = [];
		const silent = createServer((sock) => void sockets.push(sock));
		await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
		try {
			const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
			const added = await trpc(servers.hub.url, { cookie }, 'mutation', 'hosts.add', {
				id: 'mute',
				name: 'Mute VM',
				kind: 'vmwarden',
				url,
				timeoutMs: MUTE_MS,
				secrets: { token: 'vmw_never-answered-token' }
			});
			expect(added.error).toBeUndefined();
			const t0 = Date.now();
			const rows = await overview(); // the new host is fetched now, within its MUTE_MS
			const took = Date.now() - t0;
			expect(took).toBeGreaterThanOrEqual(MUTE_MS - 50);
			expect(took).toBeLessThan(MUTE_MS + 1_500);
			const mute = rows.find((r) => r.hostId === 'mute')!;
			expect(mute.state === 'unavailable' && [mute.reason, mute.lastGood, mute.lastGoodAt]).toEqual(
				[`Mute VM did not answer within ${MUTE_MS} ms`, null, null]
			);
			for (const id of ['hub', 'vm1', 'vm2', 'dock'])
				expect(rows.find((r) => r.hostId === id)!.state).toBe('ok');
			// the next call answers from memory, without waiting for the mute host again
			const t1 = Date.now();
			await overview();
			expect(Date.now() - t1).toBeLessThan(MUTE_MS / 2);
			// a forwarded call: GATEWAY_TIMEOUT naming the host, after its timeout
			const t2 = Date.now();
			const q = await trpc(servers.hub.url, { cookie }, 'query', 'containers.list', {
				hostId: 'mute'
			});
			expect(Date.now() - t2).toBeLessThan(MUTE_MS + 1_500);
			expect(q.error).toEqual({
				code: 'GATEWAY_TIMEOUT',
				message: `Mute VM did not answer within ${MUTE_MS} ms`
			});
		} finally {
			await trpc(servers.hub.url, { cookie }, 'mutation', 'hosts.remove', { id: 'mute' });
			for (const sock of sockets) sock.destroy();
			silent.close();
		}
		expect((await overview()).map((r) => r.hostId).sort()).toEqual(['dock', 'hub', 'vm1', 'vm2']);
	});

	it('a stopped instance turns its row unavailable with the last good time, within its timeout; the others stay live', async () => {
		const before = (await overview()).find((r) => r.hostId === 'vm2')!;
		expect(before.state).toBe('ok');
		const stoppedAt = Date.now();
		await servers.vm2.stop();
		// vm2 still answers while it shuts down: its last good answer can come until stop() returns
		const stoppedDoneAt = Date.now();
		const rows = await waitFor('vm2 unavailable', async () => {
			const rows = await overview();
			return rows.find((r) => r.hostId === 'vm2')?.state === 'unavailable' ? rows : undefined;
		});
		// one refresh period plus the host's timeout (and a second of slack for a loaded machine)
		expect(Date.now() - stoppedAt).toBeLessThan(REFRESH_MS + HOST_TIMEOUT_MS + 1_000);
		const vm2 = rows.find((r) => r.hostId === 'vm2')!;
		if (vm2.state !== 'unavailable') throw new Error('unreachable');
		expect(vm2.lastGoodAt).not.toBeNull();
		expect(vm2.lastGoodAt!).toBeLessThanOrEqual(stoppedDoneAt);
		expect(vm2.lastGood?.hostId).toBe('vm2');
		expect(vm2.reason).toMatch(/^VM two is unreachable: /);
		expect(rows[0].hostId).toBe('vm2');
		for (const id of ['hub', 'vm1', 'dock'])
			expect(rows.find((r) => r.hostId === id)!.state).toBe('ok');
		// a forwarded call to the stopped host names it, quickly
		const t0 = Date.now();
		const q = await trpc(servers.hub.url, { cookie }, 'query', 'containers.list', {
			hostId: 'vm2'
		});
		expect(Date.now() - t0).toBeLessThan(HOST_TIMEOUT_MS + 1_000);
		expect(q.error?.code).toBe('BAD_GATEWAY');
		expect(q.error?.message).toMatch(/^VM two is unreachable: /);
	});

	it('no response body carries a host credential', () => {
		expect(bodies.length).toBeGreaterThan(10);
		// the operate tokens went into the registry; only tokens.create on the hosts themselves answered them
		const hubBodies = bodies.filter((b) => !b.includes('"secret"'));
		for (const t of Object.values(tokens))
			for (const b of hubBodies) expect(b.includes(t.secret)).toBe(false);
		for (const b of bodies) expect(b.includes(SECRET_KEY)).toBe(false);
	});
});
