// hub.all (issue 15 item 2) and the CLI's --all-hosts against BUILT instances: a hub, two
// vmwarden hosts ("vm1", "vm2"; each its own VMW_HOST_ID, fake /proc with its own figures, its own
// slice of the rig's dockerd through VMW_CONTAINER_LABELS), a host that accepts connections and
// never answers ("mute"), and a bare Docker host on the rig's dockerd ("dock"). vm2 answers first,
// then is stopped: its entry turns unavailable within its timeout and carries its last good snapshot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import type Docker from 'dockerode';
import { startServer, TEST_TOKEN, type RunningServer } from '../helpers/server';
import { addHosts, fakeHostProcs, GiB_KB, instanceEnv, login, trpc, waitFor } from '../helpers/hub';
import { requireDocker, rigEnv } from '../helpers/rig';
import { createTestContainer, newRunId, removeRun } from '../helpers/containers';
import type { AllEntry } from '../../src/lib/server/hub/all';
import type { HealthSnapshot } from '../../src/lib/health';
import { main } from '../../src/cli/vmwarden';

const HOST_TIMEOUT_MS = 1_500;
const MUTE_MS = 1_500;

// Each instance's figures and the statuses they must give (derived by hand from the fixture text,
// as tests/integration/hub.test.ts): stat.vm-steal.* has 4 CPUs and 8.25 % steal (WARN),
// stat.local.* 2 CPUs and no steal (OK); 512 MiB available is under the 1 GiB critical line.
const HOSTS = {
	hub: {
		stat: ['stat.vm-steal.t0', 'stat.vm-steal.t1'],
		load: '0.25 0.20 0.15 1/100 100\n',
		mem: 12 * GiB_KB,
		cpus: 4,
		steal: 'WARN',
		memStatus: 'OK'
	},
	vm1: {
		stat: ['stat.local.t0', 'stat.local.t1'],
		load: '0.50 0.40 0.30 1/100 100\n',
		mem: 8 * GiB_KB,
		cpus: 2,
		steal: 'OK',
		memStatus: 'OK'
	},
	vm2: {
		stat: ['stat.vm-steal.t0', 'stat.vm-steal.t1'],
		load: '1.00 0.90 0.80 1/100 100\n',
		mem: 512 * 1024,
		cpus: 4,
		steal: 'WARN',
		memStatus: 'CRIT'
	}
} as const;
type Id = keyof typeof HOSTS;

describe('hub.all and vmwarden --all-hosts', () => {
	const run = newRunId('huball');
	let docker: Docker;
	let procs: ReturnType<typeof fakeHostProcs<Id>> | undefined;
	const servers = {} as Record<Id, RunningServer>;
	const sockets: Socket[] = [];
	const silent = createServer((sock) => void sockets.push(sock));
	let cookie: string;
	const names = { hub: `${run}-hub`, vm1: `${run}-vm1`, vm2: `${run}-vm2` };
	/** the viewer (read-only API token) — hub.all is a viewer query */
	const reader = () => ({ token: TEST_TOKEN });
	const all = async <T>(procedure: string, input?: unknown): Promise<AllEntry<T>[]> => {
		const r = await trpc(servers.hub.url, reader(), 'query', 'hub.all', { procedure, input });
		if (r.error) throw new Error(`${r.error.code}: ${r.error.message}`);
		return r.data;
	};
	const byId = <T>(entries: AllEntry<T>[], id: string) => entries.find((e) => e.hostId === id)!;

	beforeAll(async () => {
		const env = rigEnv();
		docker = await requireDocker(env);
		// one container per instance's slice of the rig's dockerd; vm1's fails its health check
		for (const id of ['hub', 'vm1', 'vm2'] as const)
			await createTestContainer(docker, env.testImage, run, {
				name: names[id],
				labels: { 'huballtest.scope': id },
				health: id === 'vm1' ? { cmd: 'false', retries: 1 } : undefined
			});
		procs = fakeHostProcs(HOSTS);
		const base = (id: Id, extra: Record<string, string> = {}) =>
			instanceEnv(
				{
					id,
					procRoot: procs!.dir(id),
					dockerHost: env.dockerHost,
					run,
					scopeLabel: 'huballtest.scope'
				},
				extra
			);
		[servers.vm1, servers.vm2, servers.hub] = await Promise.all([
			startServer(base('vm1')),
			startServer(base('vm2')),
			startServer(base('hub', { VMW_SECRET_KEY: 'hub-all-test-secret-key-0123456789abcdef0123' }))
		]);
		const secrets: Record<string, string> = {};
		for (const id of ['vm1', 'vm2'] as const) {
			const c = await login(servers[id].url);
			const made = await trpc(servers[id].url, { cookie: c }, 'mutation', 'tokens.create', {
				name: 'hub',
				scope: 'hub',
				expiresInDays: null
			});
			secrets[id] = made.data.secret;
		}
		await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
		cookie = await login(servers.hub.url);
		const drafts = [
			{
				id: 'vm1',
				name: 'VM one',
				kind: 'vmwarden',
				url: servers.vm1.url,
				timeoutMs: HOST_TIMEOUT_MS,
				secrets: { token: secrets.vm1 }
			},
			{
				id: 'vm2',
				name: 'VM two',
				kind: 'vmwarden',
				url: servers.vm2.url,
				timeoutMs: HOST_TIMEOUT_MS,
				secrets: { token: secrets.vm2 }
			},
			{
				id: 'mute',
				name: 'Mute VM',
				kind: 'vmwarden',
				url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
				timeoutMs: MUTE_MS,
				secrets: { token: 'vmw_never-answered-token' }
			},
			{
				id: 'dock',
				name: 'Bare dock',
				kind: 'docker',
				dockerHost: env.dockerHost,
				timeoutMs: 5_000
			}
		];
		await addHosts(servers.hub.url, cookie, drafts);
	}, 180_000);

	afterAll(async () => {
		await Promise.all(Object.values(servers).map((s) => s?.stop()));
		procs?.stop();
		for (const s of sockets) s.destroy();
		silent.close();
		if (docker) await removeRun(docker, run);
	}, 120_000);

	let vm2Good: { data: HealthSnapshot; at: number };

	it('health.snapshot on every host: each its own figures, local first; the mute host unavailable at its timeout; the bare Docker host says why', async () => {
		const entries = await waitFor('each instance with its steal figure', async () => {
			const e = await all<HealthSnapshot>('health.snapshot');
			return (['hub', 'vm1', 'vm2'] as const).every((id) => {
				const x = byId(e, id);
				return x?.state === 'ok' && x.data.steal.status === HOSTS[id].steal;
			})
				? e
				: undefined;
		});
		expect(entries[0]).toMatchObject({ hostId: 'hub', name: 'hub', kind: 'local', state: 'ok' });
		expect(entries.map((e) => [e.hostId, e.name, e.kind]).sort()).toEqual([
			['dock', 'Bare dock', 'docker'],
			['hub', 'hub', 'local'],
			['mute', 'Mute VM', 'vmwarden'],
			['vm1', 'VM one', 'vmwarden'],
			['vm2', 'VM two', 'vmwarden']
		]);
		for (const id of ['hub', 'vm1', 'vm2'] as const) {
			const e = byId(entries, id);
			if (e.state !== 'ok') throw new Error(`${id}: ${e.reason}`);
			// the remote answered for itself: its own VMW_HOST_ID and its own fake /proc
			expect(e.data.hostId).toBe(id);
			expect(e.data.load.ok && [e.data.load.load1, e.data.load.cpuCount]).toEqual([
				Number(HOSTS[id].load.split(' ')[0]),
				HOSTS[id].cpus
			]);
			expect(e.data.memory.ok && e.data.memory.memAvailableBytes).toBe(HOSTS[id].mem * 1024);
			expect(e.data.memory.status).toBe(HOSTS[id].memStatus);
		}
		const mute = byId(entries, 'mute');
		expect(mute.state === 'unavailable' && [mute.reason, mute.lastGood, mute.lastGoodAt]).toEqual([
			`Mute VM did not answer within ${MUTE_MS} ms`,
			null,
			null
		]);
		const dock = byId(entries, 'dock');
		expect(dock.state === 'unavailable' && dock.reason).toMatch(
			/^Bare dock is a bare Docker host: no health there/
		);

		// the whole call costs the slowest host's timeout, not the sum
		const t0 = Date.now();
		const again = await all<HealthSnapshot>('health.snapshot');
		const took = Date.now() - t0;
		expect(took).toBeGreaterThanOrEqual(MUTE_MS - 50);
		expect(took).toBeLessThan(MUTE_MS + 1_500);
		const vm2 = byId(again, 'vm2');
		if (vm2.state !== 'ok') throw new Error(vm2.reason);
		vm2Good = { data: vm2.data, at: vm2.at };
	});

	it('refuses an input the procedure refuses once, and a mutation path, as BAD_REQUEST', async () => {
		const bad = await trpc(servers.hub.url, reader(), 'query', 'hub.all', {
			procedure: 'containers.list',
			input: { filter: 'bogus' }
		});
		expect(bad.error?.code).toBe('BAD_REQUEST');
		expect(bad.error?.message).toMatch(/^containers\.list: filter: /);
		const mut = await trpc(servers.hub.url, reader(), 'query', 'hub.all', {
			procedure: 'containers.restart',
			input: { id: 'x' }
		});
		expect(mut.error).toEqual({
			code: 'BAD_REQUEST',
			message:
				'hub.all does not run containers.restart: it is a mutation (a state change goes to one host at a time)'
		});
	});

	it('containers.unhealthy across hosts: only vm1’s container; the bare Docker host answers through its adapter', async () => {
		type U = { state: 'ok'; data: { name: string }[] } | { state: 'unavailable'; reason: string };
		const entries = await waitFor('vm1 container unhealthy', async () => {
			const e = await all<U>('containers.unhealthy');
			const vm1 = byId(e, 'vm1');
			return vm1.state === 'ok' && vm1.data.state === 'ok' && vm1.data.data.length === 1
				? e
				: undefined;
		});
		const names_ = (id: string) => {
			const e = byId(entries, id);
			return e.state === 'ok' && e.data.state === 'ok' ? e.data.data.map((c) => c.name) : e;
		};
		expect(names_('vm1')).toEqual([names.vm1]);
		expect(names_('hub')).toEqual([]);
		expect(names_('vm2')).toEqual([]);
		// the rig's whole dockerd (others' containers too): only that it answered
		expect(byId(entries, 'dock')).toMatchObject({ state: 'ok', data: { state: 'ok' } });
		expect(byId(entries, 'mute').state).toBe('unavailable');
	});

	it('vmwarden health/containers --all-hosts: one block per host, --json the entries, the worst exit code', async () => {
		const env = { VMW_URL: servers.hub.url, VMW_TOKEN: TEST_TOKEN };
		const capture = () => {
			const out: string[] = [];
			const err: string[] = [];
			return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
		};
		const signal = new AbortController().signal;
		// vm2 is CRIT (memory), mute and dock unavailable (UNKNOWN): CRIT is the worst
		const j = capture();
		expect(await main(['health', '--all-hosts', '--json'], env, j.io, signal)).toBe(2);
		const entries = JSON.parse(j.out.join('\n')) as AllEntry<HealthSnapshot>[];
		expect(entries.map((e) => e.hostId)[0]).toBe('hub');
		expect(entries.map((e) => [e.hostId, e.state]).sort()).toEqual([
			['dock', 'unavailable'],
			['hub', 'ok'],
			['mute', 'unavailable'],
			['vm1', 'ok'],
			['vm2', 'ok']
		]);
		// the newest good answer of (vm2, viewer, health.snapshot): what the stopped vm2 must carry
		const vm2 = byId(entries, 'vm2');
		if (vm2.state !== 'ok') throw new Error(vm2.reason);
		vm2Good = { data: vm2.data, at: vm2.at };
		const t = capture();
		expect(await main(['containers', 'unhealthy', '--all-hosts'], env, t.io, signal)).toBe(2); // vm1's container
		const text = t.out.join('\n');
		expect(text).toContain('== VM one (vm1, vmwarden) ==');
		expect(text).toContain(`  ${names.vm1} unhealthy`);
		expect(text).toContain(
			`== Mute VM (mute, vmwarden) ==\n  UNAVAILABLE: Mute VM did not answer within ${MUTE_MS} ms`
		);
	});

	it('a stopped host: unavailable within its timeout, with its last good snapshot and time; the others stay ok', async () => {
		await servers.vm2.stop();
		const t0 = Date.now();
		const entries = await all<HealthSnapshot>('health.snapshot');
		// the mute host's timeout bounds the call; vm2 refuses the connection at once
		expect(Date.now() - t0).toBeLessThan(MUTE_MS + 1_500);
		const vm2 = byId(entries, 'vm2');
		if (vm2.state !== 'unavailable') throw new Error('vm2 still answers');
		expect(vm2.reason).toMatch(/^VM two is unreachable: /);
		expect(vm2.lastGood).toEqual(vm2Good.data);
		expect(vm2.lastGoodAt).toBe(vm2Good.at);
		for (const id of ['hub', 'vm1']) expect(byId(entries, id).state).toBe('ok');
		// the CLI: now the worst is UNKNOWN (hub WARN, vm1 OK, the rest unavailable)
		const out: string[] = [];
		const code = await main(
			['health', '--all-hosts'],
			{ VMW_URL: servers.hub.url, VMW_TOKEN: TEST_TOKEN },
			{ out: (l) => out.push(l), err: () => {} },
			new AbortController().signal
		);
		expect(code).toBe(3);
		expect(out.join('\n')).toContain(
			`== VM two (vm2, vmwarden) ==\n  UNAVAILABLE: VM two is unreachable: `
		);
		expect(out.join('\n')).toContain(
			`  last good answer: ${new Date(vm2Good.at).toISOString()}\nvm2 `
		);
	});
});
