// Issue 23: the Dockerfile and docker-compose.yml, built and run for real on the rig's dockerd,
// in the order the README's Docker section gives. The base images are the rig's stand-ins
// (Debian packages + this machine's Node; no image can be pulled here). The compose file is used
// as written except for networking: the rig's dockerd has no bridge and tests reach loopback
// only, so every service runs on the host's network on a free loopback port (decision 0023).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { createVmwardenClient, type VmwardenClient } from '../../src/lib/client';
import { requireDocker, rigEnv } from '../helpers/rig';
import { createTestContainer, newRunId, removeRun, waitFor } from '../helpers/containers';
import { freePort } from '../helpers/server';
import {
	composeRunner,
	docker,
	NETWORK_KEYS,
	offlineNodeImage,
	readComposeFile,
	rigForm,
	standinImages,
	type Compose,
	type ComposeFile
} from '../helpers/image';

const env = rigEnv();
const run = newRunId('img');
const PASSWORD = 'image test admin password 1';
const SOCKET = env.dockerHost.slice('unix://'.length);
const MIN = 60_000;

let dockerode: Docker;
let dir: string;
let compose: Compose;
let file: string;
let ports: { app: number; proxied: number; proxy: number; closed: number };
let original: ComposeFile;
let buildMs = 0;

/** What the test sets on top of the compose file (besides rigForm's network keys). */
function overrides(
	selfHealth: 'image' | 'failing' = 'image'
): Record<string, Record<string, unknown>> {
	const quiet = {
		VMW_HOST: '127.0.0.1',
		// nothing listens there: Ollama is "down", and no name is looked up
		VMW_OLLAMA_URL: `http://127.0.0.1:${ports.closed}`,
		VMW_ALERTS: 'off',
		VMW_SAMPLE_INTERVAL_MS: '1000',
		VMW_CONTAINER_SAMPLE_INTERVAL_MS: '1000',
		// other tests' containers share the daemon: this watchdog acts on this run's only
		VMW_WATCHDOG_ONLY_LABEL: `vmwarden.test=${run}`,
		VMW_WATCHDOG_FAILURES: '1',
		VMW_WATCHDOG_RECONCILE_S: '1',
		VMW_WATCHDOG_SELFTEST_SCHEDULE: 'off'
	};
	// the image's HEALTHCHECK (its test command), checked every 2 s instead of 30 s, and given
	// 30 s instead of 5 s: on a busy 2-core machine (load average 30 measured) starting `node -e`
	// in the container took 5-16 s
	const imageHealth = { interval: '2s', timeout: '30s' };
	return {
		vmwarden: {
			environment: { ...quiet, VMW_PORT: String(ports.app) },
			labels: { 'vmwarden.test': run },
			healthcheck:
				selfHealth === 'image'
					? imageHealth
					: { test: ['CMD', 'false'], interval: '1s', retries: 1 }
		},
		'vmwarden-proxied': {
			environment: {
				...quiet,
				VMW_PORT: String(ports.proxied),
				VMW_DOCKER_HOST: `tcp://127.0.0.1:${ports.proxy}`
			},
			labels: { 'vmwarden.test': run },
			healthcheck: imageHealth
		},
		'docker-proxy': {
			environment: { VMW_PROXY_BIND: `127.0.0.1:${ports.proxy}` },
			labels: { 'vmwarden.test': run }
		}
	};
}

async function writeCompose(form: ComposeFile): Promise<void> {
	await writeFile(file, JSON.stringify(form, null, 2));
}

const containerId = async (service: string) => {
	const id = (await compose(['ps', '-q', service])).trim().split('\n').pop()!;
	expect(id, `${service} container`).toMatch(/^[0-9a-f]{64}$/);
	return id;
};
const inspect = (id: string) => dockerode.getContainer(id).inspect();

async function waitHealthy(id: string, timeoutMs = 3 * MIN): Promise<void> {
	await waitFor(
		`${id.slice(0, 12)} healthy`,
		async () => {
			const s = (await inspect(id)).State;
			if (!s.Running)
				throw new Error(
					`container ${id.slice(0, 12)} stopped: ${s.Status} (exit ${s.ExitCode})\n${await docker(env, ['logs', '--tail', '40', id]).catch(() => '')}`
				);
			return s.Health?.Status === 'healthy';
		},
		timeoutMs,
		500
	);
}

async function adminClient(port: number): Promise<VmwardenClient> {
	const url = `http://127.0.0.1:${port}`;
	const login = await fetch(`${url}/api/trpc/auth.login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', origin: url },
		body: JSON.stringify({ json: { password: PASSWORD } })
	});
	expect(login.status).toBe(200);
	const cookie = login.headers.get('set-cookie')!.split(';')[0];
	return createVmwardenClient({ url, headers: { cookie, origin: url } });
}

const startedAt = async (id: string) => (await inspect(id)).State.StartedAt;

beforeAll(async () => {
	dockerode = await requireDocker(env);
	const images = standinImages();
	ports = {
		app: await freePort(),
		proxied: await freePort(),
		proxy: await freePort(),
		closed: await freePort()
	};
	dir = await mkdtemp(path.join(tmpdir(), 'vmw-image-'));
	file = path.join(dir, 'docker-compose.rig.json');
	original = readComposeFile();
	const nodeImage = await offlineNodeImage(env, images.node);
	compose = composeRunner(env, `vmw-${run}`, file, {
		DOCKER_SOCKET: SOCKET,
		DOCKER_GID: String(statSync(SOCKET).gid),
		VMW_NODE_IMAGE: nodeImage,
		VMW_SOCKET_PROXY_IMAGE: images.haproxy,
		VMW_ADMIN_PASSWORD: PASSWORD
	});
	await writeCompose(rigForm(original, overrides()));
	const t0 = Date.now();
	await compose(['build', 'vmwarden'], 30 * MIN);
	buildMs = Date.now() - t0;
	console.log(`[image.test] docker-compose build vmwarden: ${(buildMs / 1000).toFixed(0)} s`);
}, 35 * MIN);

afterAll(async () => {
	if (compose)
		await compose(
			['--profile', 'socket-proxy', 'down', '--volumes', '--remove-orphans'],
			3 * MIN
		).catch((e) => console.error(e));
	if (dockerode) await removeRun(dockerode, run);
	if (dir) await rm(dir, { recursive: true, force: true });
}, 4 * MIN);

describe('docker compose on the rig: the container sees the host it watches', () => {
	it('the rig form of the compose file changes networking only', () => {
		const form = rigForm(original, {});
		for (const [name, svc] of Object.entries(original.services)) {
			const changed = Object.keys({ ...svc, ...form.services[name] }).filter(
				(k) => JSON.stringify(svc[k]) !== JSON.stringify(form.services[name][k])
			);
			expect(changed.sort(), name).toEqual(
				['network_mode', ...NETWORK_KEYS.filter((k) => k in svc)].sort()
			);
		}
	});

	it(
		"builds on the base given as NODE_IMAGE and starts the vmwarden service with the compose file's mounts; Docker reports it healthy, as the non-root user in the socket's group",
		async () => {
			await compose(['up', '-d', 'vmwarden'], 3 * MIN);
			const id = await containerId('vmwarden');
			await waitHealthy(id);
			const c = await inspect(id);
			const image = await dockerode.getImage('vmwarden:latest').inspect();
			// the image's own HEALTHCHECK command (only its interval is shortened here)
			expect(c.Config.Healthcheck?.Test).toEqual(image.Config.Healthcheck?.Test);
			expect(image.Config.Healthcheck?.Test?.join(' ')).toMatch(/healthz/);
			const mounts = Object.fromEntries(c.Mounts.map((m) => [m.Destination, m]));
			expect(mounts['/var/run/docker.sock'].Source).toBe(SOCKET);
			expect(mounts['/host/proc']).toMatchObject({ Source: '/proc', RW: false });
			expect(mounts['/host/rootfs']).toMatchObject({ Source: '/', RW: false });
			expect(mounts['/host/sys/fs/cgroup']).toMatchObject({ Source: '/sys/fs/cgroup', RW: false });
			expect(mounts['/scripts']).toMatchObject({ RW: false });
			expect(mounts['/scripts'].Source).toMatch(/\/scripts$/);
			expect(mounts['/host/log']).toMatchObject({ Source: '/var/log' });
			expect(mounts['/app/data'].Type).toBe('volume');
			expect(mounts['/app/data'].Name).toMatch(/_vmwarden-data$/);
			// the app's process, read from the host's /proc: uid node (1000), the socket's group added
			expect(c.Config.User).toBe('node');
			const status = await readFile(`/proc/${c.State.Pid}/status`, 'utf8');
			expect(status).toMatch(/^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
			expect(/^Groups:(.*)$/m.exec(status)![1].trim().split(/\s+/)).toContain(
				String(statSync(SOCKET).gid)
			);
		},
		5 * MIN
	);

	it("GET /api/vm/health agrees with the host's own /proc and root filesystem", async () => {
		const id = await containerId('vmwarden');
		const token = (await docker(env, ['exec', id, 'cat', '/app/data/api-token'])).trim();
		expect(token.length).toBeGreaterThanOrEqual(24);
		const res = await fetch(`http://127.0.0.1:${ports.app}/api/vm/health`, {
			headers: { authorization: `Bearer ${token}` }
		});
		expect(res.status).toBe(200);
		const snap = await res.json();
		const meminfo = await readFile('/proc/meminfo', 'utf8');
		const hostAvail = Number(/^MemAvailable:\s+(\d+) kB$/m.exec(meminfo)![1]) * 1024;
		const hostTotal = Number(/^MemTotal:\s+(\d+) kB$/m.exec(meminfo)![1]) * 1024;
		expect(snap.memory.ok).toBe(true);
		expect(snap.memory.memTotalBytes).toBe(hostTotal);
		expect(Math.abs(snap.memory.memAvailableBytes - hostAvail) / hostAvail).toBeLessThan(0.02);
		const cpus = (await readFile('/proc/stat', 'utf8'))
			.split('\n')
			.filter((l) => /^cpu\d+ /.test(l)).length;
		expect(snap.load.cpuCount).toBe(cpus);
		const root = snap.disks.find((d: { mount: string }) => d.mount === '/');
		const fs = await statfs('/');
		expect(root).toMatchObject({ ok: true, totalBytes: fs.blocks * fs.bsize });
		// others write to this disk meanwhile: the same usage within 1 %
		expect(
			Math.abs(root.usedBytes - (fs.blocks - fs.bfree) * fs.bsize) / root.usedBytes
		).toBeLessThan(0.01);
	});

	it("lists the rig's other containers with their stats and restarts one through containers.restart", async () => {
		const target = await createTestContainer(dockerode, env.testImage, run, {
			name: `${run}-target`
		});
		const before = await startedAt(target.id);
		const client = await adminClient(ports.app);
		let last: unknown;
		const row = await waitFor(
			'the target with stats in containers.list',
			async () => {
				const list = await client.containers.list.query();
				last = list;
				if (list.state !== 'ok') return null;
				const r = list.data.find((x) => x.id === target.id);
				last = r;
				return r && r.memUsedBytes !== null && r.cpuPct !== null && r.pids !== null ? r : null;
			},
			30_000
		).catch((err) => {
			throw new Error(`${err.message}; last: ${JSON.stringify(last)}`);
		});
		expect(row).toMatchObject({ name: `${run}-target`, state: 'running' });
		expect(row.memUsedBytes).toBeGreaterThan(0);
		await client.containers.restart.mutate({ id: target.id });
		expect(await startedAt(target.id)).not.toBe(before);
	});

	it(
		'the watchdog restarts a failing test container, identifies its own container and never restarts it, even when its health check fails',
		async () => {
			const sick = await createTestContainer(dockerode, env.testImage, run, {
				name: `${run}-sick`,
				health: { cmd: 'false' }
			});
			const sickStart = await startedAt(sick.id);
			// the watchdog works: the run's failing container is restarted
			await waitFor(
				'the watchdog to restart the failing test container',
				async () => (await startedAt(sick.id)) !== sickStart,
				60_000,
				500
			);
			let client = await adminClient(ports.app);
			const selfState = async (id: string) =>
				(await client.watchdog.status.query()).containers.find((c) => c.id === id);
			const first = await containerId('vmwarden');
			expect(
				await waitFor('its own container in the watchdog status', () => selfState(first))
			).toMatchObject({ state: 'opted-out', reason: "the app's own container" });

			// Its own health check fails now, and without the compose file's vmwarden.self label only
			// the id the app read from /proc/self identifies its container.
			const form = rigForm(original, overrides('failing'));
			delete form.services.vmwarden.labels!['vmwarden.self'];
			await writeCompose(form);
			await compose(['up', '-d', 'vmwarden'], 3 * MIN);
			const id = await containerId('vmwarden');
			expect(id).not.toBe(first);
			expect((await inspect(id)).Config.Labels['vmwarden.self']).toBeUndefined();
			await waitFor(
				'its own health check to fail',
				async () => (await inspect(id)).State.Health?.Status === 'unhealthy',
				2 * MIN,
				500
			);
			const start = await startedAt(id);
			await waitFor(
				'the app to answer',
				async () =>
					(await fetch(`http://127.0.0.1:${ports.app}/healthz`).catch(() => null))?.ok ?? false,
				60_000
			);
			client = await adminClient(ports.app);
			expect(
				await waitFor('its own container in the watchdog status', () => selfState(id))
			).toMatchObject({ state: 'opted-out', reason: "the app's own container" });
			// 15 reconcile periods with a failure threshold of 1: still the same start, never restarted
			await new Promise((r) => setTimeout(r, 15_000));
			const after = await inspect(id);
			expect(after.State.Health?.Status).toBe('unhealthy');
			expect(after.State.StartedAt).toBe(start);
			expect(after.RestartCount).toBe(0);
			const restarts = await client.watchdog.events.query({ limit: 200 });
			expect(JSON.stringify(restarts)).not.toContain(id.slice(0, 12));

			await writeCompose(rigForm(original, overrides()));
			await compose(['up', '-d', 'vmwarden'], 3 * MIN);
			await waitHealthy(await containerId('vmwarden'));
		},
		8 * MIN
	);

	it(
		'the data volume keeps the database and the API token across docker compose down && up',
		async () => {
			const before = await containerId('vmwarden');
			const token = (await docker(env, ['exec', before, 'cat', '/app/data/api-token'])).trim();
			const managed = await (
				await adminClient(ports.app)
			).tokens.create.mutate({ name: `image-${run}`, scope: 'read', expiresInDays: null });
			await compose(['down'], 3 * MIN);
			await compose(['up', '-d', 'vmwarden'], 3 * MIN);
			const id = await containerId('vmwarden');
			expect(id).not.toBe(before);
			await waitHealthy(id);
			expect((await docker(env, ['exec', id, 'cat', '/app/data/api-token'])).trim()).toBe(token);
			for (const [what, bearer] of [
				['the generated API token', token],
				['the managed token', managed.secret]
			]) {
				expect(
					(
						await fetch(`http://127.0.0.1:${ports.app}/api/vm/health`, {
							headers: { authorization: `Bearer ${bearer}` }
						})
					).status,
					what
				).toBe(200);
			}
			const tokens = await (await adminClient(ports.app)).tokens.list.query();
			expect(tokens.map((t) => t.name)).toContain(`image-${run}`);
		},
		8 * MIN
	);

	it(
		'the socket-proxy profile starts; the proxy refuses create and passes restart, and the proxied app restarts through it',
		async () => {
			await compose(['down'], 3 * MIN);
			await compose(
				['--profile', 'socket-proxy', 'up', '-d', 'docker-proxy', 'vmwarden-proxied'],
				3 * MIN
			);
			const proxy = `http://127.0.0.1:${ports.proxy}`;
			await waitFor(
				'the proxy to answer',
				async () => (await fetch(`${proxy}/_ping`).catch(() => null))?.ok ?? false,
				60_000
			);
			const create = await fetch(`${proxy}/v1.41/containers/create`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({
					Image: env.testImage,
					Labels: { 'vmwarden.test': run },
					HostConfig: { NetworkMode: 'none' }
				})
			});
			expect(create.status).toBe(403);
			const target = await createTestContainer(dockerode, env.testImage, run, {
				name: `${run}-proxied-target`
			});
			let before = await startedAt(target.id);
			expect(
				(await fetch(`${proxy}/v1.41/containers/${target.id}/restart?t=1`, { method: 'POST' }))
					.status
			).toBe(204);
			expect(await startedAt(target.id)).not.toBe(before);

			const id = await containerId('vmwarden-proxied');
			await waitHealthy(id);
			expect((await inspect(id)).Mounts.map((m) => m.Destination)).not.toContain(
				'/var/run/docker.sock'
			);
			const client = await adminClient(ports.proxied);
			await waitFor(
				'the target with stats in containers.list through the proxy',
				async () => {
					const list = await client.containers.list.query();
					return (
						list.state === 'ok' &&
						list.data.some((x) => x.id === target.id && x.memUsedBytes !== null)
					);
				},
				30_000
			);
			before = await startedAt(target.id);
			await client.containers.restart.mutate({ id: target.id }).catch(async (err) => {
				throw new Error(
					`${err.message}; the app's log:\n${await docker(env, ['logs', '--tail', '30', id]).catch(() => '')}\nthe proxy's log:\n${await docker(env, ['logs', '--tail', '30', await containerId('docker-proxy')]).catch(() => '')}`
				);
			});
			expect(await startedAt(target.id)).not.toBe(before);
			console.log(`[image.test] build ${(buildMs / 1000).toFixed(0)} s of this file's run`);
		},
		6 * MIN
	);
});
