// Container exits in the timeline against the rig's real dockerd (decision 0029): a service that
// crashes and Docker's restart policy starts once more (exit 3, restarted by Docker; then exit 3
// left down), a vmwarden restart of a sleeping container (its die is the restart's, listed once
// as the action), and the same container killed by hand afterwards (an exit vmwarden did not cause).
// `sleep` as PID 1 ignores SIGTERM, as most real PID 1s do: the restart takes its stop grace (1 s).
// Then the app's own services with their Docker connection through a socket proxy the test cuts:
// an exit while the event stream is down, and one while vmwarden is starting, are listed once;
// an exit followed by more events than Docker's buffer holds (the replay cannot bring it) is listed
// once, from the container's state (decision 0031).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { freshDb } from '../helpers/db';
import { requireDocker, rigEnv } from '../helpers/rig';
import { createDockerApi } from '../../src/lib/server/docker';
import { createLogger } from '../../src/lib/server/log';
import { recordAction } from '../../src/lib/server/audit/actions';
import { createExitRecorder } from '../../src/lib/server/timeline/exit-recorder';
import { listTimeline } from '../../src/lib/server/timeline/timeline';
import { createTestServices, type TestServices } from '../helpers/services';
import { startDockerProxy, type DockerProxy } from '../helpers/docker-proxy';
import { createTestContainer, newRunId, removeRun, waitFor } from '../helpers/containers';

describe('exit recorder on Docker events', () => {
	const env = rigEnv();
	const run = `exits-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
	const project = `vmwtest-${run}`;
	const H = 'vm-test';
	let docker: Docker;
	let db: Awaited<ReturnType<typeof freshDb>>;
	let recorder: ReturnType<typeof createExitRecorder>;
	const api = createDockerApi({ host: rigEnv().dockerHost, timeoutMs: 5000 });
	const made: string[] = [];

	beforeAll(async () => {
		docker = await requireDocker(env);
		db = await freshDb();
		// scoped to this run's label: other tests' containers on the shared daemon are not ours
		recorder = createExitRecorder({
			api,
			db: db.db,
			hostId: H,
			labels: [`vmwarden.test=${run}`],
			log: createLogger('test-exits'),
			retryMs: 500
		});
		recorder.start();
		for (let i = 0; i < 150 && !recorder.status().connected; i++)
			await new Promise((r) => setTimeout(r, 100));
		if (!recorder.status().connected)
			throw new Error(`exit recorder did not connect: ${recorder.status().lastError}`);
	});
	afterAll(async () => {
		await recorder?.stop();
		for (const id of made)
			await docker
				.getContainer(id)
				.remove({ force: true })
				.catch(() => {});
		await db?.cleanup();
	});

	async function create(
		service: string,
		cmd: string[],
		restart: Docker.HostRestartPolicy = { Name: 'no' }
	) {
		const c = await docker.createContainer({
			Image: env.testImage,
			name: `${project}-${service}-1`,
			Cmd: cmd,
			Labels: {
				'vmwarden.test': run,
				'com.docker.compose.project': project,
				'com.docker.compose.service': service
			},
			HostConfig: { NetworkMode: 'none', RestartPolicy: restart }
		});
		made.push(c.id);
		await c.start();
		return c;
	}
	const exits = async () =>
		(
			await listTimeline(db.db, {
				hostId: H,
				fromMs: Date.now() - 600_000,
				toMs: Date.now() + 60_000,
				stack: project
			})
		).items;

	it(
		'lists a crash Docker restarted and one it left down, and a hand kill, but not a vmwarden restart',
		{ timeout: 90_000 },
		async () => {
			// crashes after 1 s; the policy allows one restart, so: exit 3, start, exit 3, down
			await create('crash', ['sh', '-c', 'sleep 1; exit 3'], {
				Name: 'on-failure',
				MaximumRetryCount: 1
			});
			await expect
				.poll(async () => (await exits()).map((e) => e.title), { timeout: 30_000, interval: 250 })
				.toEqual([
					`${project}-crash-1 exited (code 3)`,
					`${project}-crash-1 exited (code 3), restarted by Docker`
				]);

			const sleeper = await create('sleeper', ['sleep', '300']);
			const name = `${project}-sleeper-1`;
			// vmwarden's restart: the intent row, then Docker's stop (SIGKILL after 1 s: die 137) and start, then the outcome
			await recordAction(
				db.db,
				{
					hostId: H,
					actor: 'session:operator:ann',
					action: 'containers.restart',
					target: name,
					input: { id: sleeper.id.slice(0, 12) }
				},
				() => api.restartContainer(sleeper.id, { timeoutS: 1 })
			);
			// the restart's die event has had time to arrive; then, past the 2 s slack after the restart's outcome, the container is killed by hand
			await new Promise((r) => setTimeout(r, 3000));
			await sleeper.kill();
			await expect
				.poll(async () => (await exits()).map((e) => [e.kind, e.container, e.severity, e.title]), {
					timeout: 30_000,
					interval: 250
				})
				.toEqual([
					['docker', name, 'WARN', `${name} exited (code 137, SIGKILL)`],
					['docker', `${project}-crash-1`, 'WARN', `${project}-crash-1 exited (code 3)`],
					[
						'docker',
						`${project}-crash-1`,
						'WARN',
						`${project}-crash-1 exited (code 3), restarted by Docker`
					]
				]);
			// the restart is listed once, as the operator's action
			const all = (
				await listTimeline(db.db, {
					hostId: H,
					fromMs: Date.now() - 600_000,
					toMs: Date.now() + 60_000,
					container: name
				})
			).items;
			expect(all.map((e) => [e.kind, e.title])).toEqual([
				['docker', `${name} exited (code 137, SIGKILL)`],
				['action', `containers.restart ${name}`]
			]);
		}
	);
});

describe("exits while the app's Docker event stream is cut (socket proxy restarted, network blip)", () => {
	const env = rigEnv();
	const run = newRunId('exits-gap');
	const H = 'vm-test';
	let docker: Docker;
	let proxy: DockerProxy;
	let t: TestServices;

	beforeAll(async () => {
		docker = await requireDocker(env);
		proxy = await startDockerProxy(env.dockerHost);
		t = await createTestServices({
			env: {
				VMW_HOST_ID: H,
				VMW_DOCKER_HOST: proxy.host,
				// only this run's containers: the shared daemon's others are not ours
				VMW_CONTAINER_LABELS: `vmwarden.test=${run}`
			},
			start: { startDocker: true, startWatchdog: false }
		});
		await waitFor(
			'the event stream attached',
			async () => t.services.dockerEvents.connected,
			20_000,
			100
		);
	}, 60_000);
	afterAll(async () => {
		await t?.stop();
		await proxy?.close();
		if (docker) await removeRun(docker, run);
	});

	const exitsOf = async (name: string) =>
		(
			await t.callerAs({ role: 'viewer', via: 'token' }).timeline.list({
				from: Date.now() - 600_000,
				to: Date.now() + 60_000,
				container: name,
				// not the deploy marker the new container also is
				kinds: ['docker']
			})
		).items.map((e) => e.title);
	const isEvents = (request: string) => /^GET (\/v[\d.]+)?\/events\b/.test(request);
	/** a container that exits with `code` at once, and the time Docker says it did */
	async function exitNow(name: string, code: number) {
		const c = await createTestContainer(docker, env.testImage, run, { name, cmd: `exit ${code}` });
		await expect
			.poll(async () => (await c.inspect()).State.Status, { timeout: 15_000, interval: 100 })
			.toBe('exited');
	}

	it(
		'an exit during the cut is listed once the stream is back, once, and stays once over another re-attach',
		{ timeout: 90_000 },
		async () => {
			const events = t.services.dockerEvents;
			const name = `${run}-cut`;
			await proxy.cut();
			await expect.poll(() => events.connected, { timeout: 10_000, interval: 50 }).toBe(false);
			await exitNow(name, 7);
			const eventStreams = proxy.requests.filter(isEvents).length;
			await proxy.restore();
			// the follower retries every 5 s; the replay comes right after it attached
			await expect
				.poll(() => exitsOf(name), { timeout: 30_000, interval: 250 })
				.toEqual([`${name} exited (code 7)`]);
			// the re-attach asked from the last event seen (the deploy and exit recorders on one stream)
			const since = proxy.requests.filter(isEvents).slice(eventStreams);
			expect(since).toHaveLength(1);
			expect(since[0]).toMatch(/[?&]since=\d+\.\d{9}(&|$)/);

			// another cut with nothing new: the replay brings the exit again, and it is not listed twice
			const { attaches, skippedReplays } = events.status();
			await proxy.cut();
			await expect.poll(() => events.connected, { timeout: 10_000, interval: 50 }).toBe(false);
			await proxy.restore();
			await expect
				.poll(() => events.status().attaches, { timeout: 30_000, interval: 250 })
				.toBe(attaches + 1);
			// Docker replayed the last events seen (the exit among them): skipped as seen, nothing new recorded
			await expect
				.poll(() => events.status().skippedReplays, { timeout: 5_000, interval: 100 })
				.toBeGreaterThan(skippedReplays);
			expect(await exitsOf(name)).toEqual([`${name} exited (code 7)`]);
		}
	);

	/** The die events of this run Docker still holds from `sinceS` on (until now: the answer ends). */
	async function diesHeld(sinceS: number): Promise<string[]> {
		const stream = (await docker.getEvents({
			since: sinceS,
			until: Math.ceil(Date.now() / 1000) + 1,
			filters: { type: ['container'], event: ['die'], label: [`vmwarden.test=${run}`] }
		})) as NodeJS.ReadableStream;
		let text = '';
		for await (const chunk of stream) text += chunk.toString();
		return text
			.split('\n')
			.filter(Boolean)
			.map(
				(l) => (JSON.parse(l) as { Actor: { Attributes: { name: string } } }).Actor.Attributes.name
			);
	}

	it(
		'an exit in a gap longer than Docker’s event buffer is listed once, from the container’s state',
		{ timeout: 90_000 },
		async () => {
			const events = t.services.dockerEvents;
			const name = `${run}-overrun`;
			await proxy.cut();
			await expect.poll(() => events.connected, { timeout: 10_000, interval: 50 }).toBe(false);
			const beforeExitS = Math.floor(Date.now() / 1000) - 1;
			await exitNow(name, 5);
			// Docker keeps its last 256 events of every kind: 300 more push the exit out of the
			// replay, as a minute of the reference stack's health-check execs does (decision 0031).
			// `kill` with SIGWINCH (ignored by sleep) is one event a call and changes nothing else.
			const flood = await createTestContainer(docker, env.testImage, run, {
				name: `${run}-flood`,
				cmd: 'sleep 600'
			});
			for (let i = 0; i < 300; i += 10)
				await Promise.all(Array.from({ length: 10 }, () => flood.kill({ signal: 'SIGWINCH' })));
			// the premise: Docker's replay no longer holds the exit
			expect(await diesHeld(beforeExitS)).not.toContain(name);
			await proxy.restore();
			await expect
				.poll(() => exitsOf(name), { timeout: 30_000, interval: 250 })
				.toEqual([`${name} exited (code 5)`]);
			const [row] = (
				await t.callerAs({ role: 'viewer', via: 'token' }).timeline.list({
					from: Date.now() - 600_000,
					to: Date.now() + 60_000,
					container: name,
					kinds: ['docker']
				})
			).items;
			expect(row.detail).toMatch(/^reconstructed from the container’s state/);
			// at Docker's FinishedAt
			const finishedAt = Date.parse((await docker.getContainer(name).inspect()).State.FinishedAt);
			expect(Math.abs(row.ts - finishedAt)).toBeLessThanOrEqual(1);
		}
	);

	it(
		'an exit while vmwarden starts (its stream not attached yet) is listed from the replay of the first attach',
		{ timeout: 90_000 },
		async () => {
			const name = `${run}-start`;
			// restarted while the proxy is down: the new services' first attach waits for it
			await proxy.cut();
			await t.restart();
			expect(t.services.dockerEvents.connected).toBe(false);
			await exitNow(name, 3);
			await proxy.restore();
			await expect
				.poll(() => exitsOf(name), { timeout: 30_000, interval: 250 })
				.toEqual([`${name} exited (code 3)`]);
			// the earlier exits are still there once (the reconstructed one over the first attach's reconcile too)
			expect(await exitsOf(`${run}-cut`)).toEqual([`${run}-cut exited (code 7)`]);
			expect(await exitsOf(`${run}-overrun`)).toEqual([`${run}-overrun exited (code 5)`]);
		}
	);
});
