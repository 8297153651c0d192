// The rig's real Prometheus scrapes the built server's /metrics with the read-only bearer token,
// and vmwarden's memory figure agrees with node_exporter's reading of the same /proc/meminfo.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { startServer, TEST_TOKEN, type RunningServer } from '../helpers/server';
import { requireNodeExporter, requirePrometheus, rigEnv } from '../helpers/rig';
import { promQuery } from '../helpers/prometheus';

describe('Prometheus scraping vmwarden', () => {
	let server: RunningServer;
	const env = rigEnv();
	beforeAll(async () => {
		await requirePrometheus(env);
		await requireNodeExporter(env);
		server = await startServer({ VMW_HOST_ID: 'scrape-test' });
		await writeFile(env.promTokenFile, TEST_TOKEN);
		await writeFile(env.promSdFile, JSON.stringify([{ targets: [new URL(server.url).host], labels: { instance: 'vmw-under-test' } }]));
	});
	afterAll(async () => {
		await writeFile(env.promSdFile, '[]');
		await server?.stop();
	});

	async function poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const v = await probe();
			if (v !== undefined) return v;
			if (Date.now() > deadline) throw new Error(`Prometheus did not report ${what} within ${timeoutMs / 1000} s`);
			await new Promise((r) => setTimeout(r, 1000));
		}
	}

	it('scrapes /metrics with the bearer token and stores the steal gauge', async () => {
		const up = await poll('up{instance="vmw-under-test"} == 1', async () => {
			const r = await promQuery('up{job="vmwarden",instance="vmw-under-test"}');
			return r[0]?.value[1] === '1' ? r : undefined;
		});
		expect(up).toHaveLength(1);
		const steal = await poll('vmwarden_cpu_steal_percent', async () => {
			const r = await promQuery('vmwarden_cpu_steal_percent{host_id="scrape-test"}');
			return r.length ? r : undefined;
		});
		const value = Number(steal[0].value[1]);
		expect(value).toBeGreaterThanOrEqual(0);
		expect(value).toBeLessThanOrEqual(100);
	});

	it("reports MemTotal-consistent figures: vmwarden's MemAvailable is within node_exporter's MemTotal", async () => {
		const [avail] = await poll('vmwarden_memory_available_bytes', async () => {
			const r = await promQuery('vmwarden_memory_available_bytes{host_id="scrape-test"}');
			return r.length ? r : undefined;
		});
		const [total] = await promQuery('node_memory_MemTotal_bytes');
		const [nodeAvail] = await promQuery('node_memory_MemAvailable_bytes');
		expect(Number(avail.value[1])).toBeGreaterThan(0);
		expect(Number(avail.value[1])).toBeLessThanOrEqual(Number(total.value[1]));
		// Both read /proc/meminfo within seconds of each other on an idle test machine.
		expect(Math.abs(Number(avail.value[1]) - Number(nodeAvail.value[1])) / Number(total.value[1])).toBeLessThan(0.1);
	});

	it('is refused by /metrics without the token (Prometheus would see up == 0)', async () => {
		expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
	});

	it('/metrics passes `promtool check metrics` (the linter Prometheus users run)', async () => {
		const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
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
