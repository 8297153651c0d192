// A real Prometheus scrapes the built server's /metrics with the read-only bearer token, and
// vmwarden's figures equal node_exporter's readings of the same /proc files, exactly.
//
// Both read one fake /proc written by this test (tests/helpers/proc.ts): meminfo.vm-swap,
// loadavg.vm, and a stat that moves by the stat.vm-steal t0 -> t1 delta every 100 ms, so
// the steal share of ANY interval is 33 / 400 = 8.25 %, for vmwarden's 500-ms samples and
// for a rate() over node_exporter's counters alike. With the same files under both, there
// is nothing to tolerate: a formula error shows as a different number. (Against the real
// /proc a tolerance had to absorb the timing of two readers, and steal here is ~0.25 %: a
// steal reported as a fraction instead of a percentage passed.)
//
// The Prometheus and the node_exporter are this test's own (started and stopped here on
// free loopback ports): the rig's share a target file that every parallel run rewrites,
// and the rig's node_exporter reads the real /proc.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startServer, TEST_TOKEN, type RunningServer } from '../helpers/server';
import { rigEnv, type RigEnv } from '../helpers/rig';
import { promQuery as rigPromQuery } from '../helpers/prometheus';
import { childProcesses, httpOk } from '../helpers/processes';
import { advanceStat, fakeProc, type FakeProc } from '../helpers/proc';

// The fixture's figures, derived by hand (tests/fixtures/proc/README.md).
const STEAL_PCT = 8.25; // 33 steal jiffies of 400 between t0 and t1
const MEM_AVAILABLE_BYTES = 10695112 * 1024; // meminfo.vm-swap MemAvailable kB
const LOAD1 = 1.82; // loadavg.vm

describe('Prometheus scraping vmwarden', () => {
	let server: RunningServer;
	let proc: FakeProc;
	let stopStat: () => void;
	const children = childProcesses();
	let dir: string;
	let promEnv: RigEnv;
	const promQuery = (expr: string) => rigPromQuery(expr, { env: promEnv });

	async function poll<T>(
		what: string,
		probe: () => Promise<T | undefined>,
		timeoutMs = 30_000
	): Promise<T> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const v = await probe();
			if (v !== undefined) return v;
			if (Date.now() > deadline)
				throw new Error(`Prometheus did not report ${what} within ${timeoutMs / 1000} s`);
			await new Promise((r) => setTimeout(r, 500));
		}
	}

	beforeAll(async () => {
		proc = fakeProc({ meminfo: 'meminfo.vm-swap', loadavg: 'loadavg.vm' });
		stopStat = advanceStat(proc, 100);
		server = await startServer({ VMW_HOST_ID: 'scrape-test', VMW_PROC_ROOT: proc.dir });
		dir = await mkdtemp(path.join(tmpdir(), 'vmw-prom-'));

		const nodePort = await freePort();
		children.run('prometheus-node-exporter', [
			`--path.procfs=${proc.dir}`,
			`--web.listen-address=127.0.0.1:${nodePort}`,
			'--collector.disable-defaults',
			'--collector.cpu',
			'--collector.meminfo',
			'--collector.loadavg'
		]);
		await poll('its own node_exporter', () => httpOk(`http://127.0.0.1:${nodePort}/metrics`));

		await writeFile(path.join(dir, 'token'), TEST_TOKEN, { mode: 0o600 });
		await writeFile(
			path.join(dir, 'prometheus.yml'),
			`global: { scrape_interval: 1s, scrape_timeout: 1s }
scrape_configs:
  - job_name: node
    static_configs: [{ targets: ['127.0.0.1:${nodePort}'] }]
  - job_name: vmwarden
    authorization: { type: Bearer, credentials_file: '${path.join(dir, 'token')}' }
    static_configs: [{ targets: ['${new URL(server.url).host}'], labels: { instance: vmw-under-test } }]
`
		);
		const promPort = await freePort();
		promEnv = { ...rigEnv(), prometheusUrl: `http://127.0.0.1:${promPort}` };
		children.run('prometheus', [
			`--config.file=${path.join(dir, 'prometheus.yml')}`,
			`--storage.tsdb.path=${path.join(dir, 'data')}`,
			`--web.listen-address=127.0.0.1:${promPort}`
		]);
		await poll('its own Prometheus to be ready', () => httpOk(`${promEnv.prometheusUrl}/-/ready`));
	});

	afterAll(async () => {
		await children.stopAll();
		await server?.stop();
		stopStat?.();
		proc?.cleanup();
		if (dir) await rm(dir, { recursive: true, force: true });
	});

	/** The value of a one-series query once Prometheus has it. */
	const value = (expr: string) =>
		poll(expr, async () => {
			const r = await promQuery(expr);
			return r.length === 1 ? Number(r[0].value[1]) : undefined;
		});

	it('scrapes /metrics with the bearer token and stores the steal gauge: exactly the fixture figure', async () => {
		await poll('up{instance="vmw-under-test"} == 1', async () => {
			const r = await promQuery('up{job="vmwarden",instance="vmw-under-test"}');
			return r[0]?.value[1] === '1' ? r : undefined;
		});
		expect(await value('vmwarden_cpu_steal_percent{host_id="scrape-test"}')).toBe(STEAL_PCT);
	});

	it("steal equals node_exporter's rate of the same /proc/stat counters", async () => {
		// node_exporter exports seconds (jiffies / 100): the ratio is 8.25 up to float rounding.
		const node = await value(
			'sum(rate(node_cpu_seconds_total{job="node",mode="steal"}[5s])) / sum(rate(node_cpu_seconds_total{job="node"}[5s])) * 100'
		);
		expect(node).toBeCloseTo(STEAL_PCT, 9);
		expect(await value('vmwarden_cpu_steal_percent{host_id="scrape-test"}')).toBeCloseTo(node, 9);
	});

	it("MemAvailable and load1 equal node_exporter's readings of the same files", async () => {
		const node = await value('node_memory_MemAvailable_bytes{job="node"}');
		expect(node).toBe(MEM_AVAILABLE_BYTES);
		expect(await value('vmwarden_memory_available_bytes{host_id="scrape-test"}')).toBe(node);
		const nodeLoad = await value('node_load1{job="node"}');
		expect(nodeLoad).toBe(LOAD1);
		expect(await value('vmwarden_load1{host_id="scrape-test"}')).toBe(nodeLoad);
	});

	it('is refused by /metrics without the token (Prometheus would see up == 0)', async () => {
		expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
	});

	it('/metrics passes `promtool check metrics` (the linter Prometheus users run)', async () => {
		const res = await fetch(`${server.url}/metrics`, {
			headers: { authorization: `Bearer ${TEST_TOKEN}` }
		});
		const text = await res.text();
		const { execFile } = await import('node:child_process');
		const result = await new Promise<{ code: number; out: string }>((resolve) => {
			const child = execFile('promtool', ['check', 'metrics'], (err, stdout, stderr) =>
				resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr })
			);
			child.stdin!.end(text);
		});
		// promtool prints nothing and exits 0 when every metric is clean
		expect(result.out).toBe('');
		expect(result.code).toBe(0);
	});
});
