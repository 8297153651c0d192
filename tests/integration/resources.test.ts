// Memory advice, OOM kills and the compose override against the rig's real dockerd: services
// on a fresh SQLite file, scoped to this run's containers by VMW_CONTAINER_LABELS, with the
// watchdog in dry-run (scoped by VMW_WATCHDOG_ONLY_LABEL) recording Docker `oom` events.
// Block I/O: this kernel does not count block I/O per cgroup (cgroup files and the stats API
// both read 0 for writes), so the write figures here come from history rows written by the
// test, and the per-day arithmetic is covered by src/lib/server/resources/io.spec.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { parseAllDocuments, type Document } from 'yaml';
import { parseConfig } from '../../src/lib/server/config';
import { createServices, type Services } from '../../src/lib/server/services';
import { callerAs } from '../helpers/services';
import type { Principal } from '../../src/lib/server/auth/auth';
import { listActions } from '../../src/lib/server/audit/actions';
import { LLM_NO_LIMIT_REASON } from '../../src/lib/server/resources/categories';
import { readCgroupOomKills } from '../../src/lib/server/resources/oom';
import { detectLayout } from '../../src/lib/server/docker/cgroup';
import { requireDocker, rigEnv } from '../helpers/rig';
import { and, eq, gte, lte } from 'drizzle-orm';
import { containerHistory } from '../../src/lib/server/db/schema';
import {
	createTestContainer,
	newRunId,
	removeRun,
	TEST_LABEL,
	waitFor
} from '../helpers/containers';

const env = rigEnv();
const run = newRunId('res');
const n = (s: string) => `${run}-${s}`;
const MiB = 1024 * 1024;
const viewer: Principal = { role: 'viewer', via: 'token' };
let docker: Docker;
let services: Services;
let dir: string;
// the alerts' webhook: every POST body, parsed
let hook: Server;
const posted: { key?: string; severity?: string; text: string }[] = [];
const caller = () => callerAs(viewer, { services });
const compose = (service: string, extra: Record<string, string> = {}) => ({
	'com.docker.compose.project': run,
	'com.docker.compose.service': service,
	...extra
});

beforeAll(async () => {
	docker = await requireDocker(env);
	dir = await mkdtemp(path.join(tmpdir(), 'vmw-resources-'));
	hook = createServer((req, res) => {
		let body = '';
		req.on('data', (c) => (body += c));
		req.on('end', () => {
			posted.push(JSON.parse(body));
			res.end('ok');
		});
	});
	await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
	services = await createServices(
		parseConfig({
			VMW_DATABASE_URL: `file:${path.join(dir, 'test.db')}`,
			VMW_DATA_DIR: dir,
			VMW_LOG_DIR: dir,
			VMW_API_TOKEN: 'x'.repeat(32),
			VMW_HOST_ID: 'vm-test',
			VMW_LOG_LEVEL: 'error',
			VMW_DOCKER_HOST: env.dockerHost,
			VMW_CONTAINER_SAMPLE_INTERVAL_MS: '500',
			VMW_CONTAINER_LABELS: `${TEST_LABEL}=${run}`,
			VMW_WATCHDOG: 'dry-run',
			VMW_WATCHDOG_ONLY_LABEL: `${TEST_LABEL}=${run}`,
			VMW_RESOURCES_HEADROOM: '3',
			VMW_WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
			VMW_DIGEST: 'off',
			VMW_DAILY_HEALTH_TIME: 'off'
		}),
		{ startSampler: false, startDocker: true }
	);
	const img = env.testImage;
	await Promise.all([
		// holds 48 MiB: tmpfs pages (/dev/shm) are charged to the cgroup and are not inactive file cache
		createTestContainer(docker, img, run, {
			name: n('hold'),
			cmd: 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=48 2>/dev/null; sleep 3600',
			labels: compose('web', { 'vmwarden.category': 'frontend' })
		}),
		// no label: the service name "ollama" makes it llm
		createTestContainer(docker, img, run, { name: n('ollama'), labels: compose('ollama') }),
		createTestContainer(docker, img, run, { name: n('api'), labels: compose('api') })
	]);
	// 16 MiB and no swap: the main process grows past it and is OOM-killed
	const oom = await docker.createContainer({
		name: n('oom'),
		Image: img,
		// tail keeps the last "line" of /dev/zero, which never ends: one process grows until killed
		Cmd: ['tail', '/dev/zero'],
		Labels: { [TEST_LABEL]: run, ...compose('worker') },
		HostConfig: { NetworkMode: 'none', Memory: 16 * MiB, MemorySwap: 16 * MiB }
	});
	await new Promise((r) => setTimeout(r, 1000)); // the watchdog's event stream is attached
	await oom.start();
	await waitFor('the OOM kill', async () => (await oom.inspect()).State.OOMKilled, 30_000);
}, 120_000);

afterAll(async () => {
	await services?.stop();
	hook?.close();
	if (docker) await removeRun(docker, run);
	if (dir) await rm(dir, { recursive: true, force: true });
});

const rowOf = async (service: string) =>
	(await services.resources.report({ fresh: true })).advice.find(
		(a) => a.service === service && a.stack === run
	);

describe('resources (rig dockerd)', () => {
	it('measures the container that holds 48 MiB', async () => {
		const row = await waitFor(
			'a reading of the 48 MiB holder',
			async () => {
				const r = await rowOf('web');
				return r && r.usedBytes !== null && r.usedBytes >= 48 * MiB ? r : null;
			},
			20_000
		);
		// 48 MiB of tmpfs + sh and sleep (well under 4 MiB)
		expect(row.usedBytes!).toBeLessThan(52 * MiB);
		expect(row).toMatchObject({
			category: 'frontend',
			categorySource: 'label',
			currentLimitBytes: null,
			status: 'collect-first',
			limitBytes: null
		});
		expect(row.flags).toContain('no-limit');
	});

	it('records and flags the OOM-killed container (Docker oom event via the watchdog, and the inspect)', async () => {
		const recorded = await waitFor(
			'the watchdog to record the oom event',
			async () => {
				const a = await listActions(services.db, { action: 'watchdog.oom', limit: 50 });
				return a.find((x) => x.action === 'watchdog.oom' && x.target === n('oom'));
			},
			20_000
		);
		expect(recorded).toBeTruthy();
		const row = (await rowOf('worker'))!;
		expect(row).toMatchObject({ currentLimitBytes: 16 * MiB, category: 'backend' });
		expect(row.oomKills7d).toBe(1); // the event and the inspect's OOMKilled are the same kill
		expect(row.flags).toContain('oom-killed');
		expect(row.flags).not.toContain('no-limit');
	});

	it('a child OOM-killed in a container that keeps running: counted from the cgroup (memory.events / memory.oom_control)', async () => {
		const c = await docker.createContainer({
			name: n('child-oom'),
			Image: env.testImage,
			// tail is killed, the shell goes on sleeping: the container stays up with one kill in its cgroup
			Cmd: ['sh', '-c', 'tail /dev/zero; sleep 3600'],
			Labels: { [TEST_LABEL]: run, ...compose('child') },
			HostConfig: { NetworkMode: 'none', Memory: 16 * MiB, MemorySwap: 16 * MiB }
		});
		await c.start();
		const id = (await c.inspect()).Id;
		const count = await waitFor(
			'the cgroup to count the kill',
			async () => readCgroupOomKills(detectLayout('/sys/fs/cgroup'), id, ''),
			20_000
		);
		expect(count).toBe(1);
		expect((await c.inspect()).State.Running).toBe(true);
		const row = await waitFor(
			'the advice row of the child-OOM container',
			async () => {
				const r = await rowOf('child');
				return r && r.oomKills7d > 0 ? r : null;
			},
			20_000
		);
		// the Docker event (watchdog) and the cgroup count are the same kill
		expect(row.oomKills7d).toBe(1);
		expect(row.flags).toContain('oom-killed');
	});

	it('two kills close together in one container (cgroup v1 on the rig): the OOM counter and the records say what the kernel counted', async () => {
		// two tails grow in a 16 MiB cgroup: the kernel kills the bigger one, then the other,
		// milliseconds apart; the shell goes on sleeping
		const c = await docker.createContainer({
			name: n('two-oom'),
			Image: env.testImage,
			Cmd: ['sh', '-c', 'tail /dev/zero & tail /dev/zero & wait; sleep 3600'],
			Labels: { [TEST_LABEL]: run, ...compose('twice') },
			HostConfig: { NetworkMode: 'none', Memory: 16 * MiB, MemorySwap: 16 * MiB }
		});
		await c.start();
		const id = (await c.inspect()).Id;
		const layout = detectLayout('/sys/fs/cgroup');
		const kernel = await waitFor(
			'the kernel to count both kills',
			async () => {
				const k = readCgroupOomKills(layout, id, '');
				return k !== null && k >= 2 ? k : null;
			},
			20_000
		);
		const records = async () =>
			(await listActions(services.db, { action: 'watchdog.oom', limit: 50 })).filter(
				(a) => a.target === n('two-oom')
			);
		await waitFor(
			'the watchdog to record them',
			async () => (await records()).length >= kernel,
			10_000
		).catch(() => null);
		await new Promise((r) => setTimeout(r, 1500)); // a late event would show by now
		expect(readCgroupOomKills(layout, id, '')).toBe(kernel);
		expect((await records()).length).toBe(kernel);
		expect(await services.metrics.metrics()).toContain(
			`vmwarden_container_oom_kills_total{container="${n('two-oom')}",host_id="vm-test"} ${kernel}`
		);
	});

	it('refuses another host and unknown fields', async () => {
		await expect(caller().resources.report({ hostId: 'elsewhere' })).rejects.toThrow(
			/unknown host/
		);
		await expect(caller().resources.override({ stack: run, extra: 1 } as never)).rejects.toThrow();
	});

	it('never advises a limit for Ollama', async () => {
		const row = (await rowOf('ollama'))!;
		expect(row).toMatchObject({
			category: 'llm',
			categorySource: 'name',
			status: 'never-limit',
			limitBytes: null,
			reservationBytes: null,
			reason: LLM_NO_LIMIT_REASON
		});
		expect(row.flags).toEqual([]);
	});

	it('with 24 h of history: limit from the peak × headroom, reservation from the median; the override parses and names every service', async () => {
		// 1440 minutes ending 2 minutes ago: mean 40 MiB, peak 100 MiB in one minute
		const end = Math.floor(Date.now() / 60_000) * 60_000 - 2 * 60_000;
		await services.containerHistory.insertMany(
			Array.from({ length: 1440 }, (_, i) => ({
				key: `${run}/web`,
				ts: end - (1439 - i) * 60_000,
				name: n('hold'),
				cpuPct: 0,
				memUsedBytes: 40 * MiB,
				memPeakBytes: i === 700 ? 100 * MiB : 40 * MiB,
				memLimitBytes: null,
				readBps: 0,
				writeBps: 0
			}))
		);
		const web = (await rowOf('web'))!;
		expect(web.status).toBe('advice');
		// peak 100 MiB × 3 = 300 MiB -> 320 MiB (64-step), above the frontend default 256
		expect(web.limitBytes).toBe(320 * MiB);
		// median 40 MiB -> 48 MiB (16-step), below the frontend reservation 64
		expect(web.reservationBytes).toBe(64 * MiB);

		const { yaml } = await caller().resources.override({ stack: run });
		const docs = parseAllDocuments(yaml) as Document.Parsed[];
		expect(docs).toHaveLength(1);
		expect(docs[0].errors).toEqual([]);
		expect(docs[0].toJS()).toEqual({
			services: {
				api: {},
				child: {},
				ollama: {},
				twice: {},
				web: { mem_limit: '320m', mem_reservation: '64m' },
				worker: {}
			}
		});
		expect(yaml).toContain(LLM_NO_LIMIT_REASON);
		await expect(caller().resources.override({ stack: '../etc' })).rejects.toThrow(
			/compose project name/
		);
	});

	it('an I/O anomaly from written history (200 kB/s for 24 h = 17.28 GB > 10 GB/day), exported for alerts', async () => {
		// 1440 minutes, the last one the current minute: all inside the last 24 h as long as the
		// minute does not turn before the report is built, so start early in a minute
		const intoMinute = Date.now() % 60_000;
		if (intoMinute > 45_000) await new Promise((r) => setTimeout(r, 60_500 - intoMinute));
		const end = Math.floor(Date.now() / 60_000) * 60_000;
		const first = end - 1439 * 60_000;
		await services.containerHistory.insertMany(
			Array.from({ length: 1440 }, (_, i) => ({
				key: `${run}/api`,
				ts: first + i * 60_000,
				name: n('api'),
				cpuPct: 0,
				memUsedBytes: MiB,
				memLimitBytes: null,
				readBps: 0,
				writeBps: 200_000
			}))
		);
		// the collector has already written this run's closed minutes for the real container (write 0,
		// and the insert keeps a row that exists): give those minutes the test's rate too
		const h = containerHistory;
		await services.db
			.update(h)
			.set({ writeBps: 200_000 })
			.where(
				and(eq(h.hostId, 'vm-test'), eq(h.key, `${run}/api`), gte(h.ts, first), lte(h.ts, end))
			);
		await services.resources.report({ fresh: true });
		const anomalies = await caller().resources.ioAnomalies();
		const mine = anomalies.filter((a) => a.name === n('api'));
		// a UTC day passes 10 GB when more than 13.9 h of the 24 fall in it: yesterday's before about
		// 10:00 UTC, today's after about 14:00; the rolling 24 h is reported unless today's day is
		const todayStart = Math.floor(Date.now() / 86_400_000) * 86_400_000;
		const todayMinutes = Math.min(1440, Math.max(0, (end + 60_000 - todayStart) / 60_000));
		const todayBytes = Math.round(todayMinutes * 200_000 * 60);
		const yesterdayBytes = Math.round((1440 - todayMinutes) * 200_000 * 60);
		expect(mine.map((a) => [a.kind, a.dayStartMs, Math.round(a.bytes)])).toEqual([
			...(yesterdayBytes > 10e9 ? [['threshold', todayStart - 86_400_000, yesterdayBytes]] : []),
			todayBytes > 10e9
				? ['threshold', todayStart, todayBytes]
				: ['threshold', null, 17_280_000_000]
		]);
		const report = await caller().resources.report();
		expect(report.io.rows[0]).toMatchObject({ name: n('api') });
		expect(Math.round(report.io.rows[0].bytesLast24h)).toBe(17_280_000_000);

		// and alerted from the first day (the k×-median rule would need 3 days): one evaluation sends it,
		// with the rate and when the disk Docker writes to is full at that rate
		await services.sampler.sampleOnce();
		const free = (await services.resources.report({ fresh: true })).io.freeDiskBytes!;
		await services.alerts.tick();
		const sent = posted.filter((p) => p.key === `io.write:${n('api')}`);
		// 17.28 GB in 24 h = 0.72 GB/h
		const hours = free / 0.72e9;
		const when =
			hours < 24
				? `~${Math.max(1, Math.round(hours))} h`
				: `~${Math.round(hours / 24)} day${Math.round(hours / 24) === 1 ? '' : 's'}`;
		expect(sent.map((p) => [p.severity, p.text])).toEqual([
			[
				hours <= 24 ? 'CRIT' : 'WARN',
				`${hours <= 24 ? '🔴 CRIT' : '🟠 WARN'} Heavy writes ${n('api')} — vm-test\n${n('api')} wrote 17.3 GB in 24 h (0.7 GB/h): at this rate the disk (${Math.round(free / 1e9)} GB free) is full in ${when} (threshold 10.0 GB/day)`
			]
		]);
		// the next evaluation: the same episode, nothing more
		await services.alerts.tick();
		expect(posted.filter((p) => p.key === `io.write:${n('api')}`)).toHaveLength(1);
	});

	it('image freshness from the daemon image list; cost per stack', async () => {
		const report = await services.resources.report({ fresh: true });
		const created = Date.parse((await docker.getImage(env.testImage).inspect()).Created);
		const row = report.freshness.find((f) => f.name === n('hold'))!;
		// the list gives whole seconds
		expect(row.imageCreatedAt).toBe(Math.floor(created / 1000) * 1000);
		expect(row.stale).toBe(Date.now() - row.imageCreatedAt! > 30 * 86_400_000);
		// every running container of the run (not the OOM-killed one), once the adapter's list has caught up
		const running = (
			await docker.listContainers({
				filters: { label: [`${TEST_LABEL}=${run}`], status: ['running'] }
			})
		)
			.map((c) => c.Names[0].slice(1))
			.sort();
		const stack = await waitFor(
			'the cost group to list every running container',
			async () => {
				const g = (await services.resources.report({ fresh: true })).cost.find(
					(x) => x.group === run
				);
				return g && JSON.stringify(g.members.map((m) => m.name).sort()) === JSON.stringify(running)
					? g
					: null;
			},
			15_000
		);
		expect(stack.by).toBe('stack');
		expect(stack.members.map((m) => m.name)).toEqual(
			expect.arrayContaining([n('api'), n('hold'), n('ollama')])
		);
		expect(stack.memUsedBytes).toBeGreaterThanOrEqual(48 * MiB);
	});
});
