// The containers router through createCaller, with services on a fresh SQLite file and the
// rig's real dockerd (VMW_CONTAINER_LABELS scopes the app to this run's containers).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { parseConfig } from '../../src/lib/server/config';
import { createServices, type Services } from '../../src/lib/server/services';
import { callerAs } from '../helpers/services';
import type { Principal } from '../../src/lib/server/auth/auth';
import { listActions } from '../../src/lib/server/audit/actions';
import type { DockerCallName } from '../../src/lib/server/docker';
import { requireDocker, rigEnv } from '../helpers/rig';
import {
	createTestContainer,
	newRunId,
	removeRun,
	TEST_LABEL,
	waitFor
} from '../helpers/containers';

const env = rigEnv();
const run = newRunId('router');
const n = (s: string) => `${run}-${s}`;
const MiB = 1024 * 1024;
const operator: Principal = { role: 'operator', via: 'session' };
const viewer: Principal = { role: 'viewer', via: 'token' };
let docker: Docker;
let services: Services;
let dir: string;
const caller = (p: Principal | null) => callerAs(p, { services });
const calls = (name: DockerCallName) => services.docker.api.callCounts()[name];

async function rows() {
	const r = await caller(viewer).containers.list();
	if (r.state !== 'ok') throw new Error(r.reason);
	return r.data;
}
const row = async (name: string) => (await rows()).find((r) => r.name === n(name));

beforeAll(async () => {
	docker = await requireDocker(env);
	dir = await mkdtemp(path.join(tmpdir(), 'vmw-containers-'));
	services = await createServices(
		parseConfig({
			VMW_DATABASE_URL: `file:${path.join(dir, 'test.db')}`,
			VMW_DATA_DIR: dir,
			VMW_API_TOKEN: 'x'.repeat(32),
			VMW_HOST_ID: 'vm-test',
			VMW_LOG_LEVEL: 'error',
			VMW_DOCKER_HOST: env.dockerHost,
			VMW_CONTAINER_SAMPLE_INTERVAL_MS: '500',
			VMW_CONTAINER_LABELS: `${TEST_LABEL}=${run}`,
			// the watchdog (on by default, started with Docker) would restart this run's own
			// unhealthy container mid-test, and other tests' on the shared daemon
			VMW_WATCHDOG: 'off'
		}),
		{ startSampler: false, startDocker: true }
	);
	const img = env.testImage;
	await Promise.all([
		createTestContainer(docker, img, run, { name: n('healthy'), health: { cmd: 'true' } }),
		// stops as real services do (SIGTERM ignored: the bulk restart waits Docker's 10 s grace)
		createTestContainer(docker, img, run, {
			name: n('unhealthy'),
			health: { cmd: 'echo "check failed: $(date +%s)"; exit 1' },
			ignoresTerm: true
		}),
		// health checks start after 60 s: it stays "starting" through the test
		createTestContainer(docker, img, run, {
			name: n('starting'),
			health: { cmd: 'true', intervalS: 60, startPeriodS: 60 }
		}),
		createTestContainer(docker, img, run, {
			name: n('nocheck.dots_under'),
			memoryBytes: 16 * MiB,
			labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' }
		}),
		createTestContainer(docker, img, run, {
			name: n('db'),
			labels: { 'com.docker.compose.project': 'billing', 'com.docker.compose.service': 'db' },
			env: ['PLAIN=1', 'DB_PASSWORD=hunter2-secret']
		}),
		createTestContainer(docker, img, run, { name: n('created'), start: false }),
		createTestContainer(docker, img, run, {
			name: n('loop'),
			cmd: 'sleep 0.3; exit 1',
			restartPolicy: 'always'
		}),
		createTestContainer(docker, img, run, { name: n('paused') }).then((c) => c.pause()),
		createTestContainer(docker, img, run, {
			name: n('chatty'),
			cmd: `i=0; while [ $i -lt 1200 ]; do echo line-$i; i=$((i+1)); done; printf '\\033[31mred\\033[0m plain\\n'; sleep 0.1; echo to-stderr >&2; sleep 0.1; printf 'progress\\r\\033[2Kdone\\n'; sleep 3600`
		}),
		// unhealthy, then killed: exited with its last health status still "unhealthy"
		createTestContainer(docker, img, run, {
			name: n('exited-unhealthy'),
			health: { cmd: 'exit 1' }
		})
	]);
	await waitFor(
		'exited-unhealthy to turn unhealthy',
		async () =>
			(await docker.getContainer(n('exited-unhealthy')).inspect()).State.Health?.Status ===
			'unhealthy'
	);
	await docker.getContainer(n('exited-unhealthy')).kill();
	await waitFor(
		'the list to settle',
		async () => {
			const r = await rows().catch(() => []);
			const get = (s: string) => r.find((x) => x.name === n(s));
			return (
				r.length === 10 &&
				get('healthy')?.condition === 'healthy' &&
				get('unhealthy')?.condition === 'unhealthy' &&
				get('exited-unhealthy')?.state === 'exited' &&
				(get('loop')?.restartCount ?? 0) > 0
			);
		},
		30_000
	);
}, 120_000);

afterAll(async () => {
	await services?.stop();
	if (docker) await removeRun(docker, run);
	if (dir) await rm(dir, { recursive: true, force: true });
});

describe('containers router (rig dockerd)', () => {
	it('lists every state with the condition the page shows; exited-but-unhealthy is exited', async () => {
		const r = await rows();
		const cond = Object.fromEntries(r.map((x) => [x.name.slice(run.length + 1), x.condition]));
		expect(cond).toMatchObject({
			healthy: 'healthy',
			unhealthy: 'unhealthy',
			starting: 'starting',
			'nocheck.dots_under': 'running',
			db: 'running',
			created: 'created',
			paused: 'paused',
			chatty: 'running',
			'exited-unhealthy': 'exited'
		});
		expect(['restarting', 'running', 'exited']).toContain(cond.loop);
		const exited = r.find((x) => x.name === n('exited-unhealthy'))!;
		expect(exited).toMatchObject({ state: 'exited', health: 'unhealthy', uptimeS: null });
		const web = r.find((x) => x.name === n('nocheck.dots_under'))!;
		expect(web).toMatchObject({
			stack: 'shop',
			service: 'web',
			hasMemoryLimit: true,
			memLimitBytes: 16 * MiB,
			restartCount: 0
		});
		expect(web.uptimeS).toBeGreaterThanOrEqual(0);
	});

	it('filters: unhealthy (running only), noMemoryLimit, stack', async () => {
		const unhealthy = await caller(viewer).containers.list({ filter: 'unhealthy' });
		expect(unhealthy.state === 'ok' && unhealthy.data.map((x) => x.name)).toEqual([n('unhealthy')]);
		const noLimit = await caller(viewer).containers.list({ filter: 'noMemoryLimit' });
		expect(noLimit.state === 'ok' && noLimit.data.length).toBe(9);
		const billing = await caller(viewer).containers.list({ stack: 'billing' });
		expect(billing.state === 'ok' && billing.data.map((x) => x.name)).toEqual([n('db')]);
		await expect(
			caller(viewer).containers.list({ filter: 'broken' as never })
		).rejects.toMatchObject({ code: 'BAD_REQUEST' });
		await expect(caller(viewer).containers.list({ extra: 1 } as never)).rejects.toMatchObject({
			code: 'BAD_REQUEST'
		});
		await expect(caller(viewer).containers.list({ hostId: 'other-vm' })).rejects.toMatchObject({
			code: 'NOT_FOUND'
		});
	});

	it('stats come from cgroups for the running containers', async () => {
		// two collections after the list settled (one in flight may have started while exited-unhealthy,
		// killed in beforeAll, still ran: its sample would be in latest())
		const settled = services.containerStats.status().collections;
		await waitFor(
			'two collections after the list settled',
			async () => services.containerStats.status().collections >= Math.max(2, settled + 2)
		);
		const web = await row('nocheck.dots_under');
		expect(web!.memUsedBytes).toBeGreaterThan(0);
		expect(web!.cpuPct).not.toBeNull();
		// every steady running container is read from its cgroup; only the restart loop (its
		// cgroup can vanish between the list and the read) may fall back to the stats API
		const latest = [...services.containerStats.latest().values()];
		const steady = latest.filter((x) => x.name !== n('loop'));
		expect(steady.map((x) => x.name).sort()).toEqual(
			[
				n('chatty'),
				n('db'),
				n('healthy'),
				n('nocheck.dots_under'),
				n('starting'),
				n('unhealthy')
			].sort()
		);
		expect(steady.every((x) => x.source === 'cgroup')).toBe(true);
	});

	it('unhealthy: since the first failing result of the streak, the last 3 results newest first', async () => {
		const r = await waitFor('a streak of 3', async () => {
			const u = await caller(viewer).containers.unhealthy();
			return u.state === 'ok' && u.data[0]?.failingStreak >= 3 ? u.data : null;
		});
		expect(r.map((x) => x.name)).toEqual([n('unhealthy')]);
		const u = r[0];
		// every result of this check fails, so the streak starts at the oldest kept result
		// (Docker keeps 5): exact only while the streak still fits in the log
		// the same refresh's record (a fresh inspect could be one check further on)
		const log = services.docker.find(u.id)!.healthLog;
		expect(u.lastResults).toHaveLength(3);
		expect(u.lastResults[0].start).toBeGreaterThanOrEqual(u.lastResults[1].start);
		expect(
			u.lastResults.every((x) => x.exitCode === 1 && x.output.startsWith('check failed: '))
		).toBe(true);
		expect(u.lastResults[0]).toEqual(log.at(-1));
		expect(u.unhealthySince).toBe(log[0].start);
		expect(u.unhealthySinceExact).toBe(u.failingStreak <= log.length);
		// Docker's own answer agrees: every result in its log failed and the streak counts them all
		const raw = (await docker.getContainer(u.id).inspect()).State.Health!;
		expect(raw.Log.every((r) => r.ExitCode === 1)).toBe(true);
		expect(raw.FailingStreak).toBeGreaterThanOrEqual(u.failingStreak);
	});

	it('detail: health log, labels, mounts, limits; env values never returned', async () => {
		const d = await caller(viewer).containers.detail({ id: n('db') });
		if (d.state !== 'ok' || 'gone' in d.data) throw new Error('expected detail');
		expect(d.data.envNames).toEqual(expect.arrayContaining(['PLAIN', 'DB_PASSWORD']));
		expect(JSON.stringify(d)).not.toContain('hunter2');
		expect(d.data.labels).toMatchObject({
			'com.docker.compose.project': 'billing',
			[TEST_LABEL]: run
		});
		const web = await caller(viewer).containers.detail({ id: n('nocheck.dots_under') });
		expect(web.state === 'ok' && !('gone' in web.data) && web.data.limits.memoryBytes).toBe(
			16 * MiB
		);
		const bad = await caller(viewer).containers.detail({ id: n('unhealthy') });
		expect(bad.state === 'ok' && !('gone' in bad.data) && bad.data.healthcheck?.test).toEqual([
			'CMD-SHELL',
			'echo "check failed: $(date +%s)"; exit 1'
		]);
	});

	it('logs: stdout and stderr demultiplexed, ANSI and carriage returns removed, at most 1000 lines', async () => {
		await waitFor('the chatty container to finish printing', async () => {
			const l = await caller(viewer).containers.logs({ id: n('chatty'), tail: 1 });
			return l.state === 'ok' && !('gone' in l.data) && l.data.text === 'progressdone';
		});
		// the raw log really has the escapes and the stderr frame
		const raw = (await docker
			.getContainer(n('chatty'))
			.logs({ stdout: true, stderr: true, follow: false, tail: 3 })) as unknown as Buffer;
		expect(raw.includes(Buffer.from('\u001b[31m'))).toBe(true);
		expect(raw[0]).toBe(1); // stdout frame header

		const last3 = await caller(viewer).containers.logs({ id: n('chatty'), tail: 3 });
		expect(last3).toMatchObject({
			state: 'ok',
			data: { lines: 3, text: 'red plain\n[stderr] to-stderr\nprogressdone' }
		});

		// 1203 lines printed; 1000 is the cap, so the first kept is line-203 (1203 - 1000)
		const all = await caller(viewer).containers.logs({ id: n('chatty'), tail: 1000 });
		if (all.state !== 'ok' || 'gone' in all.data) throw new Error('expected logs');
		expect(all.data.lines).toBe(1000);
		expect(all.data.text.split('\n')[0]).toBe('line-203');
		// eslint-disable-next-line no-control-regex -- no ESC (terminal escape) may reach the text
		expect(all.data.text).not.toMatch(/[\u001b\r]/);

		const fifty = await caller(viewer).containers.logs({ id: n('chatty') });
		expect(fifty.state === 'ok' && !('gone' in fifty.data) && fifty.data.lines).toBe(50);
		await expect(
			caller(viewer).containers.logs({ id: n('chatty'), tail: 1001 })
		).rejects.toMatchObject({ code: 'BAD_REQUEST' });
	});

	it('history: stored 1-minute points of a compose service key, within the range', async () => {
		const now = Date.now();
		// a key no running container has: the collector stores real points for this run's 'shop' stack
		const key = `hist-${now.toString(36)}/web`;
		const minute = (ago: number) => Math.floor((now - ago * 60_000) / 60_000) * 60_000;
		await services.containerHistory.insertMany([
			{
				key,
				ts: minute(2 * 60),
				name: 'shop-web-1',
				cpuPct: 1,
				memUsedBytes: 10,
				memLimitBytes: null,
				readBps: 0,
				writeBps: 5
			},
			{
				key,
				ts: minute(5),
				name: 'shop-web-2',
				cpuPct: 2,
				memUsedBytes: 20,
				memLimitBytes: 100,
				readBps: 0,
				writeBps: 6
			},
			{
				key: 'billing/db',
				ts: minute(5),
				name: 'db',
				cpuPct: 3,
				memUsedBytes: 30,
				memLimitBytes: null,
				readBps: 0,
				writeBps: 7
			}
		]);
		const h = await caller(viewer).containers.history({ key });
		// 1 h: only the point 5 minutes ago, from the re-created container (same key, new name)
		expect(h.points.map((p) => [p.name, p.cpuPct])).toEqual([['shop-web-2', 2]]);
		const day = await caller(viewer).containers.history({ key, range: '24h' });
		expect(day.points.map((p) => p.name)).toEqual(['shop-web-1', 'shop-web-2']);
		await expect(caller(viewer).containers.history({ key: 'x'.repeat(300) })).rejects.toMatchObject(
			{ code: 'BAD_REQUEST' }
		);
	});

	it('hostile ids and names are refused before any Docker call', async () => {
		// logs, restarts and direct inspects happen only on request (the background refresh lists
		// and inspects by itself, so those counts move on their own)
		const restartsBefore = calls('restartContainer');
		const logsBefore = calls('containerLogs');
		for (const id of [
			'../images/json',
			't1;id',
			'$(reboot)',
			'x'.repeat(10_000),
			'',
			'not-a-container-of-this-run',
			'healthy'
		]) {
			for (const call of [
				() => caller(operator).containers.restart({ id }),
				() => caller(viewer).containers.logs({ id, tail: 5 }),
				() => caller(viewer).containers.detail({ id })
			]) {
				const err = await call().then(
					() => null,
					(e) => e
				);
				expect(err, id.slice(0, 20)).not.toBeNull();
				expect(['BAD_REQUEST', 'NOT_FOUND']).toContain(err.code);
			}
		}
		await expect(
			caller(operator).containers.restart({ id: n('healthy'), extra: true } as never)
		).rejects.toMatchObject({ code: 'BAD_REQUEST' });
		// the background refresh keeps listing and inspecting; none of the refused calls reached Docker
		expect(calls('restartContainer')).toBe(restartsBefore);
		expect(calls('containerLogs')).toBe(logsBefore);
	});

	it('the read-only token cannot restart; an operator can, recorded intent then outcome', async () => {
		await expect(caller(viewer).containers.restart({ id: n('healthy') })).rejects.toMatchObject({
			code: 'FORBIDDEN'
		});
		await expect(caller(null).containers.restart({ id: n('healthy') })).rejects.toMatchObject({
			code: 'UNAUTHORIZED'
		});
		const startedBefore = Date.parse(
			(await docker.getContainer(n('nocheck.dots_under')).inspect()).State.StartedAt
		);
		const res = await caller(operator).containers.restart({ id: n('nocheck.dots_under') });
		expect(res).toMatchObject({ name: n('nocheck.dots_under'), outcome: 'restarted' });
		const startedAfter = Date.parse(
			(await docker.getContainer(n('nocheck.dots_under')).inspect()).State.StartedAt
		);
		expect(startedAfter).toBeGreaterThan(startedBefore);
		expect(res!.startedAt).toBe(startedAfter);
		const [row] = await listActions(services.db, { action: 'containers.restart', limit: 1 });
		expect(row).toMatchObject({
			actor: 'session:operator',
			address: '127.0.0.9',
			target: n('nocheck.dots_under'),
			outcome: 'ok',
			hostId: 'vm-test'
		});
		expect(row.endedAt).toBeGreaterThanOrEqual(row.ts);
	});

	it(
		'a restart that waits out the stop grace (PID 1 ignores SIGTERM, 10 s) answers restarted, as Docker did',
		{ timeout: 90_000 },
		async () => {
			// Docker waits the container's full stop timeout before its SIGKILL: the restart answers after ~10 s,
			// twice VMW_DOCKER_TIMEOUT_MS (5 s), which must not cut it.
			const c = await createTestContainer(docker, env.testImage, run, {
				name: n('slow-stop'),
				ignoresTerm: true
			});
			await waitFor(
				'listed',
				async () =>
					(await services.docker.refresh()).state === 'ok' && services.docker.find(n('slow-stop'))
			);
			const startedBefore = Date.parse((await c.inspect()).State.StartedAt);
			const t0 = Date.now();
			const res = await caller(operator).containers.restart({ id: n('slow-stop') });
			const tookMs = Date.now() - t0;
			const startedAfter = Date.parse((await c.inspect()).State.StartedAt);
			expect(res).toMatchObject({
				name: n('slow-stop'),
				outcome: 'restarted',
				startedAt: startedAfter
			});
			expect(startedAfter).toBeGreaterThan(startedBefore);
			// it really waited out the stop grace (SIGTERM ignored, SIGKILL after 10 s)
			expect(tookMs).toBeGreaterThan(9_000);
			expect((await c.inspect()).RestartCount).toBe(0);
			const [row] = await listActions(services.db, { action: 'containers.restart', limit: 1 });
			expect(row).toMatchObject({ target: n('slow-stop'), outcome: 'ok' });
			expect(row.result).toMatch(/^restarted, started /);
		}
	);

	it(
		'a container whose stop timeout is 30 s: "in progress" (row shows it, action open), then restarted',
		{ timeout: 120_000 },
		async () => {
			const c = await createTestContainer(docker, env.testImage, run, {
				name: n('stop-30'),
				ignoresTerm: true,
				stopTimeoutS: 30
			});
			await waitFor(
				'listed',
				async () =>
					(await services.docker.refresh()).state === 'ok' && services.docker.find(n('stop-30'))
			);
			const startedBefore = Date.parse((await c.inspect()).State.StartedAt);
			const t0 = Date.now();
			const res = await caller(operator).containers.restart({ id: n('stop-30') });
			// answered before Docker's 30 s grace ended, saying so
			expect(res).toMatchObject({ name: n('stop-30'), outcome: 'in-progress', stopTimeoutS: 30 });
			expect(Date.now() - t0).toBeLessThan(29_000);
			expect((await row('stop-30'))!.restartingSince).toBeGreaterThanOrEqual(t0);
			const [open] = await listActions(services.db, { action: 'containers.restart', limit: 1 });
			expect(open).toMatchObject({ target: n('stop-30'), outcome: 'pending' });
			// Docker kills it at 30 s and starts it: the row closes with what Docker did
			const done = await waitFor(
				'the action row to close',
				async () => {
					const [r] = await listActions(services.db, { action: 'containers.restart', limit: 1 });
					return r.outcome !== 'pending' ? r : null;
				},
				60_000,
				250
			);
			const startedAfter = Date.parse((await c.inspect()).State.StartedAt);
			expect(startedAfter - t0).toBeGreaterThan(29_000);
			expect(done).toMatchObject({
				outcome: 'ok',
				result: `restarted, started ${new Date(startedAfter).toISOString()}`
			});
			expect(startedAfter).toBeGreaterThan(startedBefore);
			expect((await row('stop-30'))!.restartingSince).toBeNull();
		}
	);

	it('a container removed mid-request answers "gone", not an error', async () => {
		const c = await createTestContainer(docker, env.testImage, run, { name: n('vanishing') });
		await waitFor(
			'listed',
			async () =>
				(await services.docker.refresh()).state === 'ok' && services.docker.find(n('vanishing'))
		);
		await c.remove({ force: true });
		const detail = await caller(viewer).containers.detail({ id: n('vanishing') });
		expect(detail).toMatchObject({ state: 'ok', data: { gone: true, name: n('vanishing') } });
		const logs = await caller(viewer).containers.logs({ id: n('vanishing'), tail: 5 });
		expect(logs).toMatchObject({ state: 'ok', data: { gone: true } });
		const restart = await caller(operator).containers.restart({ id: n('vanishing') });
		expect(restart).toMatchObject({ outcome: 'gone' });
		const [row] = await listActions(services.db, { action: 'containers.restart', limit: 1 });
		expect(row).toMatchObject({
			target: n('vanishing'),
			outcome: 'ok',
			result: 'gone: the container no longer exists'
		});
	});

	it(
		'restartUnhealthy restarts each running unhealthy container and reports each',
		{ timeout: 60_000 },
		async () => {
			await services.docker.refresh();
			const before = Date.parse(
				(await docker.getContainer(n('unhealthy')).inspect()).State.StartedAt
			);
			const results = await caller(operator).containers.restartUnhealthy();
			// it ignores SIGTERM: Docker's 10 s stop grace, then its start, inside the answer
			expect(results!.map((r) => [r.name, r.outcome])).toEqual([[n('unhealthy'), 'restarted']]);
			expect(
				Date.parse((await docker.getContainer(n('unhealthy')).inspect()).State.StartedAt)
			).toBeGreaterThan(before);
			await expect(caller(viewer).containers.restartUnhealthy()).rejects.toMatchObject({
				code: 'FORBIDDEN'
			});
		}
	);
});
