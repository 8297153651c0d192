// The built server over real HTTP on loopback: auth, the Phase 0.1 check, /healthz, /metrics, SSE, CSRF.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTRPCClient, httpSubscriptionLink, splitLink, httpBatchLink } from '@trpc/client';
import superjson from 'superjson';
import { EventSource } from 'eventsource';
import {
	startExpectingFailure,
	startServer,
	TEST_PASSWORD,
	TEST_TOKEN,
	type RunningServer
} from '../helpers/server';
import type { AppRouter } from '../../src/lib/server/trpc/router';
import type { HealthSnapshot } from '../../src/lib/health';
import { advanceStat, fakeProc, fixturePath, type FakeProc } from '../helpers/proc';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bearer = { authorization: `Bearer ${TEST_TOKEN}` };

/**
 * Runs a command without blocking this process: the fixture /proc's stat is advanced by a timer
 * here (advanceStat), and a spawnSync that outlasts the server's 500 ms sampling interval (a
 * loaded machine) froze it, so the server's next sample saw no movement and /metrics read steal 0.
 */
function run(
	cmd: string,
	args: string[],
	env: NodeJS.ProcessEnv
): Promise<{ status: number | null; stdout: string; stderr: string }> {
	return new Promise((resolve, reject) => {
		const child = spawn(cmd, args, { env });
		let stdout = '';
		let stderr = '';
		child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
		child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
		child.on('error', reject);
		child.on('close', (status) => resolve({ status, stdout, stderr }));
	});
}

async function waitFor<T>(
	what: string,
	probe: () => Promise<T | undefined>,
	timeoutMs = 10_000
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const v = await probe();
		if (v !== undefined) return v;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

// The figures of the fixture /proc the server reads (tests/fixtures/proc/README.md), in bytes:
// meminfo.vm-swap kB × 1024, loadavg.vm, and stat.vm-steal.t0 → t1 advanced by statStep.
const FIXTURE = {
	memTotalBytes: 16388100 * 1024,
	memAvailableBytes: 10695112 * 1024,
	swapTotalBytes: 4194300 * 1024,
	swapUsedBytes: (4194300 - 2726300) * 1024, // 1503232000
	swapCachedBytes: 250880 * 1024, // 256901120 = 245 MiB
	stealPct: 8.25, // 33 of 400 jiffies
	busyPct: 57.25, // 400 - idle 168 - iowait 3 = 229 of 400
	perCpuSteal: [8, 9, 8, 8]
};

describe('built server', () => {
	let server: RunningServer;
	let proc: FakeProc;
	let stopStat: () => void;
	beforeAll(async () => {
		// The server reads a fixture /proc whose stat moves by the fixture's delta every
		// 100 ms, so every 500-ms sampling interval shows exactly the fixture's shares.
		proc = fakeProc({ meminfo: 'meminfo.vm-swap', loadavg: 'loadavg.vm' });
		stopStat = advanceStat(proc, 100);
		server = await startServer({ VMW_PROC_ROOT: proc.dir });
	});
	afterAll(async () => {
		await server?.stop();
		stopStat?.();
		proc?.cleanup();
	});

	it('/healthz answers without credentials and tells the sampler state', async () => {
		const res = await fetch(`${server.url}/healthz`);
		expect(res.status).toBe(200);
		const body = await res.json();
		expect(body).toMatchObject({ status: 'ok', services: { sampler: { ok: true } } });
	});

	it('/api/vm/health refuses a request without credentials or with a wrong token', async () => {
		expect((await fetch(`${server.url}/api/vm/health`)).status).toBe(401);
		expect(
			(await fetch(`${server.url}/api/vm/health`, { headers: { authorization: 'Bearer nope' } }))
				.status
		).toBe(401);
		expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
	});

	it('/api/vm/health with the bearer token returns exactly the figures of the fixture /proc', async () => {
		// steal needs two samples (500 ms apart in this test server)
		const snap = await waitFor('a second sample', async () => {
			const res = await fetch(`${server.url}/api/vm/health`, { headers: bearer });
			expect(res.status).toBe(200);
			expect(res.headers.get('content-type')).toMatch(/application\/json/);
			const s = (await res.json()) as HealthSnapshot;
			return s.steal.ok && s.steal.stealPct !== null ? s : undefined;
		});
		expect(snap.hostId).toBe('local');
		expect(snap.steal).toMatchObject({
			ok: true,
			status: 'WARN',
			stealPct: FIXTURE.stealPct,
			busyPct: FIXTURE.busyPct
		});
		if (!snap.steal.ok) throw new Error('unreachable');
		expect(snap.steal.perCpu.map((c) => c.stealPct)).toEqual(FIXTURE.perCpuSteal);
		const memory = {
			memTotalBytes: FIXTURE.memTotalBytes,
			memAvailableBytes: FIXTURE.memAvailableBytes,
			swapTotalBytes: FIXTURE.swapTotalBytes,
			swapUsedBytes: FIXTURE.swapUsedBytes,
			swapCachedBytes: FIXTURE.swapCachedBytes
		};
		expect(snap.memory).toMatchObject({ ok: true, status: 'OK', ...memory });
		expect(snap.swap).toMatchObject({ ok: true, status: 'OK', swapCachedWarning: true, ...memory });
		// loadavg.vm "1.82 1.64 1.51"; the 4 cpuN lines of the fixture stat, not this machine's CPUs
		expect(snap.load).toMatchObject({
			ok: true,
			status: 'OK',
			load1: 1.82,
			load5: 1.64,
			load15: 1.51,
			cpuCount: 4
		});
		expect(snap.status).toBe('WARN');
		expect(snap.reasons[0]).toMatch(/^CPU steal 8.3 % > 5 %: /);
		expect(snap.disks).toHaveLength(1);
		expect(snap.disks[0]).toMatchObject({ mount: '/', ok: true });
	});

	it("vm-health-check.sh --json over the same fixture /proc has the real snapshot's keys and figures", async () => {
		const snap = await waitFor('a second sample', async () => {
			const s = (await (
				await fetch(`${server.url}/api/vm/health`, { headers: bearer })
			).json()) as HealthSnapshot;
			return s.steal.ok && s.steal.stealPct !== null ? s : undefined;
		});
		const res = await run(
			'bash',
			[fileURLToPath(new URL('../../scripts/vm-health-check.sh', import.meta.url)), '--json'],
			{
				PATH: process.env.PATH,
				VMW_PROC_ROOT: proc.dir,
				VMW_STAT_SAMPLES: `${fixturePath('stat.vm-steal.t0')} ${fixturePath('stat.vm-steal.t1')}`,
				VMW_HEALTH_DOCKER: '0',
				VMW_HOST_ID: 'local'
			}
		);
		expect(res.status, res.stderr).toBe(1); // WARN, like the snapshot
		const script = JSON.parse(res.stdout) as Record<string, unknown>;
		// Every key path of each (arrays as []), e.g. "steal.perCpu[].stealPct".
		const paths = (v: unknown, prefix = ''): string[] =>
			Array.isArray(v)
				? [...new Set(v.flatMap((e) => paths(e, `${prefix}[]`)))]
				: v && typeof v === 'object'
					? Object.entries(v).flatMap(([k, e]) => [
							`${prefix}${prefix ? '.' : ''}${k}`,
							...paths(e, `${prefix}${prefix ? '.' : ''}${k}`)
						])
					: [];
		const onlyScript = ['unhealthyContainers']; // the app counts containers elsewhere
		expect(
			paths(script)
				.filter((p) => !onlyScript.includes(p))
				.sort()
		).toEqual(paths(snap).sort());
		// and the same figures, where both read the same files
		expect(script.status).toBe(snap.status);
		// (numbers to 9 decimals: the app's busyPct carries float noise, 57.99999999999999;
		// intervalMs is the measured interval in the app, the replayed 1000 ms in the script;
		// reason is prose, worded by each)
		const round = (v: unknown): unknown =>
			typeof v === 'number'
				? Math.round(v * 1e9) / 1e9
				: Array.isArray(v)
					? v.map(round)
					: v && typeof v === 'object'
						? Object.fromEntries(Object.entries(v).map(([k, e]) => [k, round(e)]))
						: v;
		for (const metric of ['steal', 'load', 'memory', 'swap'] as const) {
			const {
				reason: _a,
				intervalMs: _c,
				...fromScript
			} = script[metric] as Record<string, unknown>;
			const { reason: _b, intervalMs: _d, ...fromApp } = snap[metric] as Record<string, unknown>;
			expect(round(fromScript), metric).toEqual(round(fromApp));
		}
	});

	it('/metrics serves Prometheus text with the sampler figures and the process metrics', async () => {
		const res = await fetch(`${server.url}/metrics`, { headers: bearer });
		expect(res.status).toBe(200);
		const text = await res.text();
		expect(text).toMatch(/^vmwarden_cpu_steal_percent\{host_id="local"\} 8\.25$/m);
		expect(text).toMatch(
			new RegExp(
				`^vmwarden_swap_cached_bytes\\{host_id="local"\\} ${FIXTURE.swapCachedBytes}$`,
				'm'
			)
		);
		expect(text).toMatch(
			new RegExp(
				`^vmwarden_memory_available_bytes\\{host_id="local"\\} ${FIXTURE.memAvailableBytes}$`,
				'm'
			)
		);
		expect(text).toMatch(/^vmwarden_load1\{host_id="local"\} 1\.82$/m);
		expect(text).toMatch(/^vmwarden_disk_used_percent\{mount="\/",host_id="local"\} [\d.]+$/m);
		expect(text).toMatch(/^vmwarden_process_resident_memory_bytes\{host_id="local"\} \d+/m);
	});

	it('pages redirect to the login page without a session', async () => {
		const res = await fetch(`${server.url}/vm`, { redirect: 'manual' });
		expect(res.status).toBe(303);
		expect(res.headers.get('location')).toBe('/login?next=%2Fvm');
	});

	it('refuses cross-origin and non-JSON mutations, accepts a same-origin JSON login', async () => {
		const login = (
			headers: Record<string, string>,
			body = JSON.stringify({ password: TEST_PASSWORD })
		) => fetch(`${server.url}/api/trpc/auth.login`, { method: 'POST', headers, body });

		const crossOrigin = await login({
			'content-type': 'application/json',
			origin: 'http://evil.example'
		});
		expect(crossOrigin.status).toBe(403);
		expect(crossOrigin.headers.get('set-cookie')).toBeNull();

		const form = await login(
			{ 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
			`password=${encodeURIComponent(TEST_PASSWORD)}`
		);
		expect(form.status).toBe(403);

		const plain = await login({ 'content-type': 'text/plain', origin: server.url });
		expect(plain.status).toBe(403);

		const wrong = await login(
			{ 'content-type': 'application/json', origin: server.url },
			JSON.stringify({ json: { password: 'wrong' } })
		);
		expect(wrong.status).toBe(401);

		const ok = await login(
			{ 'content-type': 'application/json', origin: server.url, 'sec-fetch-site': 'same-origin' },
			JSON.stringify({ json: { password: TEST_PASSWORD } })
		);
		expect(ok.status).toBe(200);
		const cookie = ok.headers.get('set-cookie') ?? '';
		expect(cookie).toMatch(/^vmw_session=[\w-]{20,};/);
		expect(cookie).toMatch(/HttpOnly/);
		expect(cookie).toMatch(/SameSite=Strict/);

		// The session opens pages.
		const page = await fetch(`${server.url}/vm`, {
			headers: { cookie: cookie.split(';')[0] },
			redirect: 'manual'
		});
		expect(page.status).toBe(200);
	});

	it('health.live pushes a snapshot per sample over SSE', async () => {
		const client = createTRPCClient<AppRouter>({
			links: [
				splitLink({
					condition: (op) => op.type === 'subscription',
					true: httpSubscriptionLink({
						url: `${server.url}/api/trpc`,
						transformer: superjson,
						EventSource,
						eventSourceOptions: () => ({
							fetch: (input, init) =>
								fetch(input, { ...init, headers: { ...init?.headers, ...bearer } })
						})
					}),
					false: httpBatchLink({
						url: `${server.url}/api/trpc`,
						transformer: superjson,
						headers: bearer
					})
				})
			]
		});
		const seen: HealthSnapshot[] = [];
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error('no 3 snapshots in 10 s')), 10_000);
			const sub = client.health.live.subscribe(undefined, {
				onData(s) {
					seen.push(s as HealthSnapshot);
					if (seen.length === 3) {
						clearTimeout(timer);
						sub.unsubscribe();
						resolve();
					}
				},
				onError(err) {
					clearTimeout(timer);
					reject(err);
				}
			});
		});
		const times = seen.map((s) => Date.parse(s.ts!));
		expect(times[2]).toBeGreaterThan(times[1]);
		expect(times[1]).toBeGreaterThan(times[0]);
		expect(await client.health.snapshot.query()).toMatchObject({ hostId: 'local' });
	});
});

describe('shutdown', () => {
	it('stops the background services on SIGTERM and exits cleanly', async () => {
		const server = await startServer();
		const res = await server.signal('SIGTERM');
		expect(res.code).toBe(0);
		expect(server.output()).toMatch(/"msg":"services stopped"/);
		await server.stop();
	});
});

describe('start-up with bad configuration', () => {
	it('stops with a message that names each bad variable', async () => {
		const { code, output } = await startExpectingFailure({
			VMW_PORT: '4005',
			VMW_DISK_WARN_PCT: 'lots',
			VMW_PROC_ROOT: 'relative/proc'
		});
		expect(code).not.toBe(0);
		expect(output).toContain('VMW_DISK_WARN_PCT: expected a percentage');
		expect(output).toContain('VMW_PROC_ROOT: expected an absolute path');
	});
});
