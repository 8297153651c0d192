// The built server over HTTP: /healthz reports Docker without failing on it, the unhealthy
// endpoint answers JSON (503 + last good data while Docker is down), /metrics carries the
// per-container series.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import superjson from 'superjson';
import { EventSource } from 'eventsource';
import type { AppRouter } from '../../src/lib/server/trpc/router';
import { startServer, TEST_TOKEN, type RunningServer } from '../helpers/server';
import { requireDocker, rigEnv } from '../helpers/rig';
import {
	createTestContainer,
	newRunId,
	removeRun,
	TEST_LABEL,
	waitFor
} from '../helpers/containers';

const env = rigEnv();
const run = newRunId('http');
const auth = { authorization: `Bearer ${TEST_TOKEN}` };
let docker: Docker;

describe('Docker unreachable', () => {
	let server: RunningServer;
	beforeAll(async () => {
		server = await startServer({
			VMW_DOCKER_HOST: 'unix:///tmp/vmwarden-no-docker-here.sock',
			VMW_CONTAINER_SAMPLE_INTERVAL_MS: '500'
		});
	});
	afterAll(async () => server?.stop());

	it('/healthz stays 200 and says Docker is unavailable', async () => {
		const body = await waitFor('docker state in /healthz', async () => {
			const b = await (await fetch(`${server.url}/healthz`)).json();
			return b.services?.docker?.detail?.includes('unavailable') ? b : null;
		});
		expect(body.status).toBe('ok');
		expect(body.services.docker).toMatchObject({ ok: false });
		expect(body.services.docker.detail).toMatch(
			/unix:\/\/\/tmp\/vmwarden-no-docker-here\.sock: unavailable \(listContainers failed: .*ENOENT.*\); last good never/
		);
	});

	it('GET /api/vm/containers/unhealthy answers 503 with the typed unavailable state', async () => {
		const res = await fetch(`${server.url}/api/vm/containers/unhealthy`, { headers: auth });
		expect(res.status).toBe(503);
		expect(await res.json()).toMatchObject({
			state: 'unavailable',
			lastGood: null,
			lastGoodAt: null
		});
		expect((await fetch(`${server.url}/api/vm/containers/unhealthy`)).status).toBe(401);
	});
});

describe('Docker reachable (rig dockerd)', () => {
	let server: RunningServer;
	beforeAll(async () => {
		docker = await requireDocker(env);
		await Promise.all([
			createTestContainer(docker, env.testImage, run, {
				name: `${run}-sick`,
				health: { cmd: 'echo nope; exit 1' }
			}),
			createTestContainer(docker, env.testImage, run, {
				name: `${run}-web`,
				memoryBytes: 16 * 1024 * 1024,
				labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' }
			})
		]);
		server = await startServer({
			VMW_DOCKER_HOST: env.dockerHost,
			VMW_CONTAINER_LABELS: `${TEST_LABEL}=${run}`,
			VMW_CONTAINER_SAMPLE_INTERVAL_MS: '500'
		});
	}, 120_000);
	afterAll(async () => {
		await server?.stop();
		if (docker) await removeRun(docker, run);
	});

	it('/api/vm/containers/unhealthy lists the failing container with its last checks', async () => {
		const body = await waitFor('the unhealthy container', async () => {
			const b = await (
				await fetch(`${server.url}/api/vm/containers/unhealthy`, { headers: auth })
			).json();
			return b.state === 'ok' && b.data.length === 1 && b.data[0].failingStreak >= 1 ? b : null;
		});
		expect(body.data[0]).toMatchObject({ name: `${run}-sick`, restartCount: 0 });
		expect(body.data[0].lastResults[0]).toMatchObject({ exitCode: 1, output: 'nope\n' });
		expect(typeof body.data[0].unhealthySince).toBe('number');
		const health = await (await fetch(`${server.url}/healthz`)).json();
		expect(health.services.docker.ok).toBe(true);
		expect(health.services.docker.detail).toContain('2 containers');
	});

	it('/metrics has per-container series labelled with name and stack', async () => {
		const text = await waitFor('container series', async () => {
			const t = await (await fetch(`${server.url}/metrics`, { headers: auth })).text();
			return t.includes(`vmwarden_container_memory_limit_bytes{name="${run}-web"`) ? t : null;
		});
		expect(text).toContain(
			`vmwarden_container_memory_limit_bytes{name="${run}-web",stack="shop",host_id="local"} 16777216`
		);
		expect(text).toMatch(
			new RegExp(
				`vmwarden_container_cpu_seconds_total\\{name="${run}-sick",stack="",host_id="local"\\} [0-9.e-]+`
			)
		);
		expect(text).toMatch(
			new RegExp(
				`vmwarden_container_write_bytes_total\\{name="${run}-web",stack="shop",host_id="local"\\} \\d+`
			)
		);
		expect(text).toMatch(
			/vmwarden_containers\{state="running",health="unhealthy",host_id="local"\} 1/
		);
		expect(text).toMatch(/vmwarden_docker_up\{host_id="local"\} 1/);
	});

	it('containers.live pushes the list after each refresh over SSE; the read-only token cannot restart', async () => {
		const url = `${server.url}/api/trpc`;
		const client = createTRPCClient<AppRouter>({
			links: [
				splitLink({
					condition: (op) => op.type === 'subscription',
					true: httpSubscriptionLink({
						url,
						transformer: superjson,
						EventSource,
						eventSourceOptions: () => ({
							fetch: (input, init) =>
								fetch(input, { ...init, headers: { ...init?.headers, ...auth } })
						})
					}),
					false: httpBatchLink({ url, transformer: superjson, headers: auth })
				})
			]
		});
		const pushes: { at: number; names: string[] }[] = [];
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error('no 3 pushes in 15 s')), 15_000);
			const sub = client.containers.live.subscribe(undefined, {
				onData(r) {
					if (r.state !== 'ok') return;
					pushes.push({ at: r.at, names: r.data.map((c) => c.name).sort() });
					if (pushes.length === 3) {
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
		expect(pushes.map((p) => p.names)).toEqual(Array(3).fill([`${run}-sick`, `${run}-web`]));
		// after the first (current state) push, each push follows a new refresh
		expect(pushes[2].at).toBeGreaterThan(pushes[1].at);
		// the read-only API token is a viewer: no restart (and no Docker call is made)
		await expect(client.containers.restart.mutate({ id: `${run}-web` })).rejects.toMatchObject({
			data: { code: 'FORBIDDEN' }
		});
	});
});
