// Trends across hosts (issue 15 part 3): ONE Prometheus holds three hosts' series under a
// `host_id` label, and each host's trend shows exactly that host's figures.
//
// Three real vmwarden instances (the built server, different VMW_HOST_ID, each its own fake
// /proc) and three node_exporters reading those fake /procs (load 1.25, 2.5 and 3.75: the
// loadavg file's first field is node_load1, so each host's load trend is a known constant).
// The issue asks for the rig's Prometheus scraping all three; the rig's is shared (its one
// vmwarden target file is rewritten by every parallel run) and must not be reconfigured, so
// this test starts its OWN Prometheus (the rig's binary, free loopback port, own data dir,
// stopped afterwards) with the scrape setup docs/multi-vm.md describes: static_configs with
// `labels: { host_id: … }` per VM, for node_exporter and for vmwarden's /metrics.
//
// deploy/prometheus/multi-vm.yml and agent.yml (the shipped examples) pass `promtool check config`.
//
// The hub (vm.2) has vmx2 and vm3 in its hosts registry and answers their trends itself from the
// store (a hub-local procedure); they have no Prometheus of their own, so a forwarded call would say
// source 'local'.
//
// Host ids are chosen so a mistake shows: the hub is `vm.2` and another host `vmx2`, so an
// unescaped regex `host_id=~"vm.2|"` would also take vmx2's series (load 2.5, one unhealthy
// container) into the hub's own trend.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startServer, TEST_TOKEN, type RunningServer } from '../helpers/server';
import { requireDocker, rigEnv, type RigEnv } from '../helpers/rig';
import { promQuery as rigPromQuery } from '../helpers/prometheus';
import { childProcesses, httpOk } from '../helpers/processes';
import { fakeProc, type FakeProc } from '../helpers/proc';
import { createTestContainer, newRunId, removeRun } from '../helpers/containers';
import { createVmwardenClient } from '../../src/lib/client';
import { createTrends } from '../../src/lib/server/trends/trends';
import { createPromClient } from '../../src/lib/server/prometheus/client';
import { DEFAULT_THRESHOLDS } from '../../src/lib/server/host/thresholds';
import { openDb } from '../../src/lib/server/db';
import { createHostsRegistry } from '../../src/lib/server/hosts/registry';
import { TREND_IDS, type TrendAnswer, type TrendData } from '../../src/lib/trends';

/** Each host's load1, written into its fake /proc/loadavg. */
const HOSTS = [
	{ id: 'vm.2', load: 1.25 },
	{ id: 'vmx2', load: 2.5 },
	{ id: 'vm3', load: 3.75 }
] as const;
type HostId = (typeof HOSTS)[number]['id'];
const HUB: HostId = 'vm.2';
/** the host whose only watched container is unhealthy */
const SICK: HostId = 'vmx2';

describe('trends across hosts from one PromQL store', () => {
	const run = newRunId('hosttrends');
	const children = childProcesses();
	const procs: FakeProc[] = [];
	const servers = new Map<HostId, RunningServer>();
	let env: RigEnv;
	let docker: Docker;
	let dir: string;
	let promUrl: string;
	const promQuery = (expr: string) =>
		rigPromQuery(expr, { env: { ...env, prometheusUrl: promUrl } });

	async function poll<T>(
		what: string,
		probe: () => Promise<T | undefined>,
		timeoutMs = 90_000
	): Promise<T> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const v = await probe();
			if (v !== undefined) return v;
			if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
			await new Promise((r) => setTimeout(r, 1000));
		}
	}

	/** A trends service over this test's Prometheus, as an instance whose own host is `ownHost` would build it. */
	const storeTrends = (ownHost: string, node = 'job="node"') =>
		createTrends({
			prom: createPromClient({ baseUrl: promUrl, timeoutMs: 10_000 }),
			selectors: { node, cadvisor: 'job="cadvisor"', vmwarden: 'job="vmwarden"', hostId: ownHost },
			thresholds: DEFAULT_THRESHOLDS,
			local: { minutes: async () => [], rollups: async () => [], rawRetentionMs: 86_400_000 },
			spikeFactor: 3
		});

	const hub = () => createVmwardenClient({ url: servers.get(HUB)!.url, token: TEST_TOKEN });
	const data = (a: TrendAnswer, what: string): TrendData => {
		if (a.state !== 'ok') throw new Error(`${what}: ${JSON.stringify(a).slice(0, 400)}`);
		return a.data;
	};
	/** every value of every line of a trend */
	const values = (d: TrendData) => d.series.flatMap((s) => s.points.map(([, v]) => v));

	/**
	 * The hub's database with vmx2 and vm3 registered (the hosts registry's own module, before the
	 * hub starts on the same file): the hub then knows them as hosts and answers their trends.
	 */
	async function hubRegistry(): Promise<Record<string, string>> {
		const url = `file:${path.join(dir, 'hub.db')}`;
		const secretKey = 'hosttrends-test-secret-key-0123456789abcdef';
		const db = await openDb({ url, migrationsDir: 'drizzle' });
		try {
			const registry = createHostsRegistry({ db, localHostId: HUB, secretKey });
			for (const h of HOSTS.filter((x) => x.id !== HUB))
				await registry.add({
					id: h.id,
					name: `VM ${h.id}`,
					kind: 'vmwarden',
					url: servers.get(h.id)!.url,
					secrets: { token: TEST_TOKEN }
				});
		} finally {
			db.$client.close();
		}
		return { VMW_DATABASE_URL: url, VMW_SECRET_KEY: secretKey };
	}

	beforeAll(async () => {
		env = rigEnv();
		docker = await requireDocker(env);
		dir = await mkdtemp(path.join(tmpdir(), 'vmw-hosttrends-'));
		await writeFile(path.join(dir, 'token'), TEST_TOKEN, { mode: 0o600 });
		const promPort = await freePort();
		promUrl = `http://127.0.0.1:${promPort}`;

		// the sick host's one watched container fails its health check from the start
		await createTestContainer(docker, env.testImage, run, {
			name: `${run}-sick`,
			health: { cmd: 'false' },
			labels: { 'vmw.hosttrends': `${run}-${SICK}` }
		});

		const nodeTargets: Record<string, string> = {};
		// the other hosts first: the hub's registry names their URLs
		for (const h of [...HOSTS.filter((x) => x.id !== HUB), ...HOSTS.filter((x) => x.id === HUB)]) {
			const proc = fakeProc({ stat: 'stat.vm-steal.t0', meminfo: 'meminfo.vm-swap' });
			procs.push(proc);
			proc.write('loadavg', `${h.load} 0.50 0.25 1/100 4242\n`);
			const nodePort = await freePort();
			children.run('prometheus-node-exporter', [
				`--path.procfs=${proc.dir}`,
				`--web.listen-address=127.0.0.1:${nodePort}`,
				'--collector.disable-defaults',
				'--collector.loadavg'
			]);
			nodeTargets[h.id] = `127.0.0.1:${nodePort}`;
			servers.set(
				h.id,
				await startServer({
					VMW_HOST_ID: h.id,
					VMW_PROC_ROOT: proc.dir,
					VMW_DOCKER_HOST: env.dockerHost,
					// each instance watches only its own containers of this run: the sick host one unhealthy, the others none
					VMW_CONTAINER_LABELS: `vmw.hosttrends=${run}-${h.id}`,
					VMW_CONTAINER_SAMPLE_INTERVAL_MS: '500',
					...(h.id === HUB
						? {
								VMW_PROMETHEUS_URL: promUrl,
								VMW_PROMETHEUS_TIMEOUT_MS: '10000',
								...(await hubRegistry())
							}
						: {})
				})
			);
		}
		for (const [id, target] of Object.entries(nodeTargets))
			await poll(`node_exporter of ${id}`, () => httpOk(`http://${target}/metrics`));

		const vmw = (id: HostId) => new URL(servers.get(id)!.url).host;
		// The scrape setup of docs/multi-vm.md. vmwarden's /metrics already labels its series
		// host_id="<VMW_HOST_ID>": vm3's target shows that the static label may be left out there.
		// `solo` scrapes the hub's node_exporter once more WITHOUT a host label: a single-VM setup.
		await writeFile(
			path.join(dir, 'prometheus.yml'),
			`global: { scrape_interval: 1s, scrape_timeout: 1s }
scrape_configs:
  - job_name: node
    static_configs:
${HOSTS.map((h) => `      - { targets: ['${nodeTargets[h.id]}'], labels: { host_id: '${h.id}' } }`).join('\n')}
  - job_name: vmwarden
    authorization: { type: Bearer, credentials_file: '${path.join(dir, 'token')}' }
    static_configs:
      - { targets: ['${vmw('vm.2')}'], labels: { host_id: 'vm.2' } }
      - { targets: ['${vmw('vm3')}'] }
  # a VM with its own token gets its own job, relabelled to job="vmwarden" (deploy/prometheus/multi-vm.yml)
  - job_name: vmwarden-vmx2
    authorization: { type: Bearer, credentials_file: '${path.join(dir, 'token')}' }
    static_configs: [{ targets: ['${vmw('vmx2')}'], labels: { host_id: 'vmx2' } }]
    relabel_configs: [{ target_label: job, replacement: vmwarden }]
  - job_name: solo
    static_configs: [{ targets: ['${nodeTargets[HUB]}'] }]
`
		);
		children.run('prometheus', [
			`--config.file=${path.join(dir, 'prometheus.yml')}`,
			`--storage.tsdb.path=${path.join(dir, 'data')}`,
			`--web.listen-address=127.0.0.1:${promPort}`
		]);
		await poll('its own Prometheus to be ready', () => httpOk(`${promUrl}/-/ready`), 60_000);
		// every host's series in the one store, each under its host_id
		await poll('node_load1 of three hosts and vmwarden_containers of the sick one', async () => {
			const load = await promQuery('count by (host_id) (node_load1{job="node"})');
			const sick = await promQuery(
				`vmwarden_containers{job="vmwarden",host_id="${SICK}",health="unhealthy"} == 1`
			);
			return load.length === 3 && sick.length === 1 ? true : undefined;
		});
	}, 180_000);

	afterAll(async () => {
		await children.stopAll();
		await Promise.all([...servers.values()].map((s) => s.stop()));
		if (docker) await removeRun(docker, run);
		for (const p of procs) p.cleanup();
		if (dir) await rm(dir, { recursive: true, force: true });
	});

	it("the store holds each host's series under its host_id (vmwarden's own label where the scrape sets none)", async () => {
		const load = await promQuery('node_load1{job="node"}');
		expect(Object.fromEntries(load.map((s) => [s.metric.host_id, Number(s.value[1])]))).toEqual({
			'vm.2': 1.25,
			vmx2: 2.5,
			vm3: 3.75
		});
		const up = await promQuery('up{job="vmwarden"} == 1');
		expect(up.map((s) => s.metric.host_id ?? '(none)').sort()).toEqual(['(none)', 'vm.2', 'vmx2']);
		const docker = await promQuery('vmwarden_docker_up{job="vmwarden"}');
		expect(docker.map((s) => s.metric.host_id).sort()).toEqual(['vm.2', 'vm3', 'vmx2']);
	});

	it("the hub's own trend through the built server: exactly its load, never vmx2's (the id's dot is escaped)", async () => {
		// a range query's points sit on minute steps: wait for the first step after the first scrape
		const d = await poll('a load point for the hub', async () => {
			const a = await hub().trends.series.query({ metric: 'load', range: '24h' });
			return a.state === 'ok' && a.data.series.length ? a.data : undefined;
		});
		expect(d).toMatchObject({ source: 'prometheus', stepSec: 60 });
		expect(d.series.map((s) => s.key)).toEqual(['load1']);
		expect(new Set(values(d))).toEqual(new Set([1.25]));
		// the same asked with its id
		expect(
			new Set(
				values(
					data(
						await hub().trends.series.query({ metric: 'load', range: '24h', hostId: HUB }),
						'hub by id'
					)
				)
			)
		).toEqual(new Set([1.25]));
	}, 120_000);

	it("containers: the sick host's unhealthy count is 1; the hub's own has none of it", async () => {
		const sick = await poll('an unhealthy point for the sick host', async () => {
			const d = data(
				await hub().trends.series.query({ metric: 'containers', range: '24h', hostId: SICK }),
				'sick'
			);
			return d.series.length && values(d).includes(1) ? d : undefined;
		});
		expect(sick.series.map((s) => s.key)).toEqual(['unhealthy']);
		expect(Math.max(...values(sick))).toBe(1);
		// the hub and vm3 watch no container: no unhealthy series at all (not vmx2's 1)
		const own = data(
			await hub().trends.series.query({ metric: 'containers', range: '24h' }),
			'hub containers'
		);
		expect(own.series).toEqual([]);
		expect(own.noData).toMatch(/vmwarden_containers/);
		const c = data(
			await hub().trends.series.query({ metric: 'containers', range: '24h', hostId: 'vm3' }),
			'vm3 containers'
		);
		expect(c.series).toEqual([]);
	}, 120_000);

	it.each(HOSTS.filter((h) => h.id !== HUB))(
		"a registered host's trend, answered by the hub from the store: exactly $id's load $load",
		async ({ id, load }) => {
			const d = await poll(`a load point for ${id}`, async () => {
				const a = data(
					await hub().trends.series.query({ metric: 'load', range: '24h', hostId: id }),
					id
				);
				return a.series.length ? a : undefined;
			});
			// answered by the hub from the store, not forwarded: the host itself has no Prometheus (it would say 'local')
			expect(d.source).toBe('prometheus');
			expect(new Set(values(d))).toEqual(new Set([load]));
			expect(d.deploys).toEqual([]);
		},
		120_000
	);

	it('a single-VM store without host labels: the own host still sees its series, another host never does', async () => {
		const own = await poll('a load point under job solo', async () => {
			const d = data(
				await storeTrends('solo', 'job="solo"').series({ metric: 'load', range: '24h' }),
				'solo'
			);
			return d.series.length ? d : undefined;
		});
		expect(new Set(values(own))).toEqual(new Set([1.25]));
		// asked as another host (exact match), the unlabelled series are not "solo"'s
		const other = data(
			await storeTrends('hub', 'job="solo"').series({
				metric: 'load',
				range: '24h',
				hostId: 'solo'
			}),
			'solo as another host'
		);
		expect(other.series).toEqual([]);
		expect(other.noData).toMatch(/host_id="solo"/);
	}, 120_000);

	it('a hostile host id is one escaped string: a valid query with no series, never another host', async () => {
		for (const hostId of ['vm3"} or node_load1{job="node', 'vm.*', 'vm3\\']) {
			const d = data(
				await storeTrends(HUB).series({ metric: 'load', range: '24h', hostId }),
				hostId
			);
			expect(d.series).toEqual([]);
		}
	});

	it('every catalog entry runs in Prometheus with the host matchers, for the own and another host (no bad_data)', async () => {
		for (const metric of TREND_IDS)
			for (const hostId of [undefined, 'vm3']) {
				const a = await hub().trends.series.query({ metric, range: '7d', hostId });
				expect(a.state, `${metric} ${hostId ?? 'own'}: ${JSON.stringify(a).slice(0, 300)}`).toBe(
					'ok'
				);
			}
	}, 60_000);

	it('the router refuses a host the hub does not know', async () => {
		await expect(
			hub().trends.series.query({ metric: 'load', range: '24h', hostId: 'nowhere' })
		).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
	});
});

describe('the shipped multi-VM Prometheus examples', () => {
	it.each([
		['deploy/prometheus/multi-vm.yml', []],
		['deploy/prometheus/agent.yml', ['--agent']]
	])('%s passes promtool check config', async (file, flags) => {
		const root = path.resolve(import.meta.dirname, '../..');
		const dir = await mkdtemp(path.join(tmpdir(), 'vmw-promcheck-'));
		try {
			// promtool checks that token and password files exist: point /etc/prometheus/ at a temp dir holding them
			const text = (await readFile(path.join(root, file), 'utf8')).replaceAll(
				'/etc/prometheus/',
				`${dir}/`
			);
			for (const m of text.matchAll(new RegExp(`${dir}/([\\w.-]+)`, 'g')))
				await writeFile(path.join(dir, m[1]), 'x');
			await copyFile(
				path.join(root, 'deploy/prometheus/vmwarden.rules.yml'),
				path.join(dir, 'vmwarden.rules.yml')
			);
			await writeFile(path.join(dir, 'prometheus.yml'), text);
			const { stdout } = await promisify(execFile)(
				'promtool',
				['check', 'config', ...flags, 'prometheus.yml'],
				{ cwd: dir, timeout: 60_000 }
			);
			expect(stdout).toMatch(/SUCCESS/);
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});
});
