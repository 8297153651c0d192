// The Docker adapter against the rig's real dockerd: list + inspect of our own containers
// (filtered by this run's label), health states, gone containers, restart, unavailable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import {
	createDockerAdapter,
	createDockerApi,
	type ContainerInfo,
	type DockerAdapter
} from '../../src/lib/server/docker';
import { createLogger } from '../../src/lib/server/log';
import { requireDocker, rigEnv } from '../helpers/rig';
import {
	createTestContainer,
	newRunId,
	removeRun,
	TEST_LABEL,
	waitFor
} from '../helpers/containers';

const env = rigEnv();
const run = newRunId('adapter');
const n = (s: string) => `${run}-${s}`;
let docker: Docker;
let adapter: DockerAdapter;

const listed = async (): Promise<ContainerInfo[]> => {
	const r = await adapter.refresh();
	if (r.state !== 'ok') throw new Error(`unavailable: ${r.reason}`);
	return r.data;
};
const byName = (list: ContainerInfo[], name: string) => list.find((c) => c.name === n(name));

beforeAll(async () => {
	docker = await requireDocker(env);
	adapter = createDockerAdapter({
		api: createDockerApi({ host: env.dockerHost, timeoutMs: 5000 }),
		intervalMs: 60_000,
		labels: [`${TEST_LABEL}=${run}`],
		log: createLogger('test-docker')
	});
	await Promise.all([
		createTestContainer(docker, env.testImage, run, {
			name: n('healthy'),
			health: { cmd: 'true' }
		}),
		createTestContainer(docker, env.testImage, run, {
			name: n('unhealthy'),
			health: { cmd: 'echo failing-check; exit 1' }
		}),
		createTestContainer(docker, env.testImage, run, {
			name: n('plain.dots_and_underscores'),
			labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' },
			memoryBytes: 16 * 1024 * 1024
		}),
		createTestContainer(docker, env.testImage, run, { name: n('exited'), cmd: 'exit 3' })
	]);
});

afterAll(async () => {
	await adapter?.stop();
	if (docker) await removeRun(docker, run);
});

describe('docker adapter (rig dockerd)', () => {
	it("lists exactly this run's containers with state, health, stack and limits", async () => {
		const list = await waitFor('health checks to settle', async () => {
			const l = await listed();
			return byName(l, 'healthy')?.health === 'healthy' &&
				byName(l, 'unhealthy')?.health === 'unhealthy' &&
				byName(l, 'exited')?.state === 'exited'
				? l
				: null;
		});
		expect(list.map((c) => c.name).sort()).toEqual(
			[n('exited'), n('healthy'), n('plain.dots_and_underscores'), n('unhealthy')].sort()
		);

		const plain = byName(list, 'plain.dots_and_underscores')!;
		expect(plain).toMatchObject({
			state: 'running',
			health: null,
			stack: 'shop',
			service: 'web',
			memoryLimitBytes: 16 * 1024 * 1024,
			restartCount: 0,
			image: env.testImage
		});
		expect(plain.pid).toBeGreaterThan(0);

		const exited = byName(list, 'exited')!;
		expect(exited).toMatchObject({
			state: 'exited',
			exitCode: 3,
			memoryLimitBytes: null,
			stack: null
		});

		const bad = byName(list, 'unhealthy')!;
		expect(bad.failingStreak).toBeGreaterThanOrEqual(1);
		expect(bad.healthLog.at(-1)).toMatchObject({ exitCode: 1, output: 'failing-check\n' });
		expect(bad.healthLog.at(-1)!.start).toBeGreaterThan(Date.now() - 60_000);
	});

	it('finds a container by name or id prefix, and nothing for anything else', async () => {
		const list = await listed();
		const healthy = byName(list, 'healthy')!;
		expect(adapter.find(n('healthy'))?.id).toBe(healthy.id);
		expect(adapter.find(healthy.id.slice(0, 12))?.id).toBe(healthy.id);
		for (const hostile of ['../images/json', 't1;id', '$(reboot)', 'x'.repeat(10_000), ''])
			expect(adapter.find(hostile)).toBeNull();
	});

	it('answers data: null for a container removed after the list (gone, not an error)', async () => {
		const c = await createTestContainer(docker, env.testImage, run, { name: n('doomed') });
		const list = await listed();
		const doomed = byName(list, 'doomed')!;
		await c.remove({ force: true });
		const r = await adapter.inspect(doomed.id);
		expect(r).toMatchObject({ state: 'ok', data: null });
		expect((await listed()).some((x) => x.id === doomed.id)).toBe(false);
	});

	it('restarts a container: StartedAt moves forward', async () => {
		const before = byName(await listed(), 'plain.dots_and_underscores')!;
		const after = await adapter.restart(before.id, { timeoutS: 1 });
		expect(after?.state).toBe('running');
		expect(after!.startedAt!).toBeGreaterThan(before.startedAt!);
		expect(adapter.api.callCounts().restartContainer).toBe(1);
	});

	it(
		'a restart whose answer is cut (a proxy timeout) is confirmed from an inspect: restarted, as Docker did',
		{ timeout: 60_000 },
		async () => {
			// A socket proxy in front of the rig dockerd that cuts every restart request after 1.5 s, as
			// HAProxy's `timeout server` does to a stop longer than it: Docker goes on restarting.
			const dir = await mkdtemp(path.join(tmpdir(), 'vmw-cut-'));
			const sock = path.join(dir, 'docker.sock');
			const upstream = env.dockerHost.slice('unix://'.length);
			let cut = 0;
			const proxy = net.createServer((client) => {
				const daemon = net.connect(upstream);
				client.on('data', (chunk) => {
					if (/^POST \S*\/restart/m.test(chunk.toString('latin1')))
						setTimeout(() => {
							cut++;
							client.destroy();
							daemon.destroy();
						}, 1500);
				});
				client.pipe(daemon).pipe(client);
				client.on('error', () => daemon.destroy());
				daemon.on('error', () => client.destroy());
			});
			await new Promise<void>((resolve) => proxy.listen(sock, resolve));
			try {
				const c = await createTestContainer(docker, env.testImage, run, {
					name: n('cut'),
					ignoresTerm: true,
					stopTimeoutS: 4
				});
				const before = Date.parse((await c.inspect()).State.StartedAt);
				const cutAdapter = createDockerAdapter({
					api: createDockerApi({ host: `unix://${sock}`, timeoutMs: 5000 }),
					intervalMs: 60_000,
					labels: [`${TEST_LABEL}=${run}`],
					log: createLogger('test-docker-cut')
				});
				const t0 = Date.now();
				const after = await cutAdapter.restart(c.id);
				expect(cut).toBe(1);
				// the container's own 4 s stop timeout was waited out, then its start seen by an inspect
				expect(Date.now() - t0).toBeGreaterThan(3_500);
				expect(after).toMatchObject({ state: 'running' });
				expect(after!.startedAt!).toBeGreaterThan(before);
				expect(after!.startedAt).toBe(Date.parse((await c.inspect()).State.StartedAt));
			} finally {
				proxy.close();
				await rm(dir, { recursive: true, force: true });
			}
		}
	);

	it('answers unavailable (not a throw) when the daemon cannot be reached, and reports it for /healthz', async () => {
		const down = createDockerAdapter({
			api: createDockerApi({ host: 'unix:///tmp/vmwarden-no-such-docker.sock', timeoutMs: 1000 }),
			intervalMs: 60_000,
			log: createLogger('test-docker-down')
		});
		const r = await down.refresh();
		expect(r.state).toBe('unavailable');
		if (r.state === 'unavailable') {
			expect(r.reason).toMatch(/ENOENT|connect/);
			expect(r.lastGood).toBeNull();
		}
		expect(down.health()).toMatchObject({ ok: false });
		expect(down.health().detail).toContain('unix:///tmp/vmwarden-no-such-docker.sock: unavailable');
		expect(await down.inspect('abc')).toMatchObject({ state: 'unavailable' });
		// a restart: "Docker did not answer" at once (its quick inspect), not a wait for a stop timeout
		const t0 = Date.now();
		await expect(down.restart('abc')).rejects.toMatchObject({
			name: 'DockerUnavailableError',
			sent: false
		});
		expect(Date.now() - t0).toBeLessThan(1000);
	});
});
