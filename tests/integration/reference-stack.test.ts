// The app against the reference stack (tests/helpers/reference-stack.ts, decision 0018): the
// containers list, resources and the score + digest over the 39 containers the globalSetup
// started, scoped by STACK_LABEL. The watchdog runs in dry-run (it records the OOM loop's
// `oom` events and restarts nothing): the stack stays as the other files expect it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { parseConfig } from '../../src/lib/server/config';
import { createServices, type Services } from '../../src/lib/server/services';
import { callerAs } from '../helpers/services';
import type { Principal } from '../../src/lib/server/auth/auth';
import { LLM_NO_LIMIT_REASON } from '../../src/lib/server/resources/categories';
import { htmlToText } from '../../src/lib/server/notify/html';
import { requireDocker, rigEnv } from '../helpers/rig';
import { waitFor } from '../helpers/containers';
import {
	REFERENCE_STACK,
	STACK_LABEL,
	WEB_CONTAINERS,
	WEB_DOWN_FILE,
	breakWebContainers
} from '../helpers/reference-stack';

const env = rigEnv();
const MiB = 1024 * 1024;
const viewer: Principal = { role: 'viewer', via: 'token' };
let docker: Docker;
let services: Services;
let dir: string;
/** what the alerts sent to the webhook (a receiver on loopback) */
const hooks: { text: string }[] = [];
let receiver: Server;
const caller = () => callerAs(viewer, { services });

/** The list; on a machine loaded enough that Docker misses the app's 5 s timeout, the next refresh's. */
async function rows() {
	let reason = '';
	const data = await waitFor(
		'the container list',
		async () => {
			const r = await caller().containers.list();
			if (r.state === 'ok') return r.data;
			reason = r.reason;
			return null;
		},
		30_000,
		500
	).catch((err) => {
		throw new Error(`${err.message}: ${reason}`);
	});
	return data;
}

beforeAll(async () => {
	docker = await requireDocker(env);
	dir = await mkdtemp(path.join(tmpdir(), 'vmw-stack-'));
	receiver = createServer((req, res) => {
		let body = '';
		req.on('data', (d) => (body += d));
		req.on('end', () => {
			hooks.push(JSON.parse(body));
			res.end();
		});
	});
	await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
	services = await createServices(
		parseConfig({
			VMW_DATABASE_URL: `file:${path.join(dir, 'test.db')}`,
			VMW_DATA_DIR: dir,
			VMW_LOG_DIR: dir,
			VMW_API_TOKEN: 'x'.repeat(32),
			VMW_HOST_ID: 'vm-test',
			VMW_LOG_LEVEL: 'error',
			VMW_DOCKER_HOST: env.dockerHost,
			VMW_OLLAMA_URL: 'http://127.0.0.1:1',
			VMW_CONTAINER_SAMPLE_INTERVAL_MS: '1000',
			VMW_CONTAINER_LABELS: STACK_LABEL,
			VMW_WATCHDOG: 'dry-run',
			VMW_WATCHDOG_ONLY_LABEL: STACK_LABEL,
			// alerts on the stack's containers only: the host rules would alert on this machine's own state
			VMW_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
			VMW_TELEGRAM_ENV_FILE: path.join(dir, 'no-telegram.env'),
			VMW_ALERTS_INTERVAL_S: '2',
			VMW_ALERTS_MUTE: 'steal,swap,disk,docker,prometheus,cron,cleanup,load,memory,io',
			VMW_DIGEST: 'off',
			VMW_DAILY_HEALTH_TIME: 'off',
			VMW_CRONTABS: path.join(dir, 'none')
		}),
		{ startSampler: true, startDocker: true, startOllama: false, startAlerts: true }
	);
	await waitFor(
		'the whole stack in the list',
		async () => (await rows().catch(() => [])).length === REFERENCE_STACK.length,
		30_000
	);
}, 120_000);

afterAll(async () => {
	await services?.stop();
	receiver?.close();
	if (docker)
		await Promise.allSettled(WEB_CONTAINERS.map((n) => exec(n, ['rm', '-f', WEB_DOWN_FILE])));
	if (dir) await rm(dir, { recursive: true, force: true });
});

async function exec(name: string, cmd: string[]) {
	const e = await docker.getContainer(name).exec({ Cmd: cmd });
	await e.start({ Detach: true });
}

describe('the app on the reference stack', () => {
	it('lists every container with its compose project and service; the stopped and the exited one as exited', async () => {
		const r = await rows();
		expect(r.map((x) => x.name).sort()).toEqual(REFERENCE_STACK.map((c) => c.name).sort());
		for (const def of REFERENCE_STACK) {
			const row = r.find((x) => x.name === def.name)!;
			expect({ name: row.name, stack: row.stack, service: row.service }).toEqual({
				name: def.name,
				stack: def.project,
				service: def.service
			});
		}
		const byName = Object.fromEntries(r.map((x) => [x.name, x]));
		expect(byName['hermes-root-backup']).toMatchObject({ state: 'exited', condition: 'exited' });
		expect(byName['hermes-webui']).toMatchObject({ state: 'exited', condition: 'exited' });
		expect(byName['caddy']).toMatchObject({ hasMemoryLimit: true, memLimitBytes: 128 * MiB });
		expect(byName['ollama']).toMatchObject({ state: 'running', hasMemoryLimit: false });
		// projects as the stack filter sees them
		const trading = await caller().containers.list({ stack: 'trading' });
		expect(trading.state === 'ok' && trading.data.map((x) => x.name).sort()).toEqual([
			'trading-backend',
			'trading-feed',
			'trading-scheduler',
			'trading-web'
		]);
		const noLimit = await caller().containers.list({ filter: 'noMemoryLimit' });
		const limited = REFERENCE_STACK.filter((c) => c.memoryBytes).map((c) => c.name);
		expect(limited.sort()).toEqual(['caddy', 'trading-scheduler', 'valkey']);
		expect(noLimit.state === 'ok' && noLimit.data.length).toBe(
			REFERENCE_STACK.length - limited.length
		);
	});

	it(
		'behaves as defined: PID 1 without an init ignores SIGTERM (a restart waits the 10 s grace), with an init it stops at once',
		{ timeout: 60_000 },
		async () => {
			const timed = async (name: string) => {
				const t = performance.now();
				await docker.getContainer(name).restart(); // Docker's default: the container's stop timeout
				return performance.now() - t;
			};
			const [noInit, init] = await Promise.all([timed('hermes-agent'), timed('node-exporter')]);
			// both include a start (seconds on a busy machine); what differs is the 10 s grace
			expect(noInit).toBeGreaterThanOrEqual(9_500);
			expect(noInit - init).toBeGreaterThan(6_000);
			// Config.StopTimeout is missing from @types/dockerode's inspect type
			const c = (await docker.getContainer('cosmosdb').inspect()) as {
				Config: { StopTimeout?: number };
			};
			expect(c.Config.StopTimeout).toBe(30);
		}
	);

	it('stats from cgroups for the running containers', async () => {
		await waitFor(
			'two collections',
			async () => services.containerStats.status().collections >= 2,
			20_000
		);
		const r = await rows();
		const steady = r.filter((x) => x.state === 'running' && x.name !== 'trading-scheduler');
		expect(steady.length).toBeGreaterThan(30);
		const read = steady.filter((x) => x.memUsedBytes !== null && x.memUsedBytes > 0);
		// every steady running container: the OOM loop's cgroup may vanish between the list and the read
		expect(read.map((x) => x.name).sort()).toEqual(steady.map((x) => x.name).sort());
	});

	it('resources: Ollama never gets a limit, the OOM loop is flagged, the limits in place are read, cost per project', async () => {
		const report = await waitFor(
			'the OOM loop in the report',
			async () => {
				const rep = await services.resources.report({ fresh: true });
				const oom = rep.advice.find((a) => a.stack === 'trading' && a.service === 'scheduler');
				return oom && oom.oomKills7d > 0 ? rep : null;
			},
			60_000,
			1000
		);
		const advice = (project: string, service: string) =>
			report.advice.find((a) => a.stack === project && a.service === service)!;
		expect(advice('learning_ai_common_plat', 'ollama')).toMatchObject({
			category: 'llm',
			status: 'never-limit',
			limitBytes: null,
			reservationBytes: null,
			reason: LLM_NO_LIMIT_REASON
		});
		expect(advice('trading', 'scheduler')).toMatchObject({ currentLimitBytes: 8 * MiB });
		expect(advice('trading', 'scheduler').flags).toContain('oom-killed');
		expect(advice('learning_ai_common_plat', 'caddy')).toMatchObject({
			category: 'proxy',
			currentLimitBytes: 128 * MiB
		});
		expect(advice('dashboard', 'web')).toMatchObject({
			category: 'frontend',
			currentLimitBytes: null
		});
		expect(advice('dashboard', 'web').flags).toContain('no-limit');
		// a scaled service is one advice row over its replicas
		expect(
			report.advice.filter((a) => a.stack === 'invttrdg' && a.service === 'worker')
		).toHaveLength(1);
		const plat = report.cost.find((g) => g.group === 'learning_ai_common_plat')!;
		expect(plat.by).toBe('stack');
		expect(plat.members.map((m) => m.name).sort()).toEqual(
			REFERENCE_STACK.filter((c) => c.project === 'learning_ai_common_plat')
				.map((c) => c.name)
				.sort()
		);
	});

	it(
		'score and digest: three web containers turning unhealthy move the services tile to 3–5 and name them; healed, they are gone',
		{ timeout: 120_000 },
		async () => {
			const three = WEB_CONTAINERS.slice(0, 3);
			const servicesDim = async () =>
				(await services.score.refresh()).dimensions.find((d) => d.id === 'services')!;
			const digest = async () => htmlToText(await services.alerts.previewDigest());
			await waitFor(
				'the web containers healthy',
				async () => {
					const r = await rows();
					return WEB_CONTAINERS.every((n) => r.find((x) => x.name === n)?.condition === 'healthy');
				},
				60_000,
				500
			);
			// before: the flapping notes-search and the leaking trading-feed are the only ones that can be unhealthy
			const before = await servicesDim();
			expect(before.state).toBe('known');
			expect(before.input).toBeLessThanOrEqual(2);
			expect(before.points).toBeGreaterThanOrEqual(15);
			for (const n of three) expect(await digest()).not.toContain(n);

			await breakWebContainers(docker, three);
			// 3 failing checks 10 s apart: unhealthy 20–30 s later
			await waitFor(
				'three unhealthy web containers',
				async () => {
					const r = await rows();
					return three.every((n) => r.find((x) => x.name === n)?.condition === 'unhealthy');
				},
				60_000,
				500
			);
			const during = await servicesDim();
			// 3 of them, plus notes-search and trading-feed when they happen to be unhealthy too: 3–5 → 8
			expect(during.input).toBeGreaterThanOrEqual(3);
			expect(during.input).toBeLessThanOrEqual(5);
			expect(during.points).toBe(8);
			const text = await digest();
			expect(text).toMatch(/Containers: [345] unhealthy \(action required\)/);
			for (const n of three) expect(text).toContain(n);

			// healed by hand (no restart): the next passing check makes each healthy again
			await Promise.all(three.map((n) => exec(n, ['rm', '-f', WEB_DOWN_FILE])));
			await waitFor(
				'the three healthy again',
				async () => {
					const r = await rows();
					return three.every((n) => r.find((x) => x.name === n)?.condition === 'healthy');
				},
				40_000,
				500
			);
			const after = await servicesDim();
			expect(after.input).toBeLessThanOrEqual(2);
			expect(after.points).toBeGreaterThanOrEqual(15);
			const textAfter = await digest();
			for (const n of three) expect(textAfter).not.toContain(n);
			// the unhealthy-containers alert named each of them while they were unhealthy
			for (const n of three)
				expect(
					hooks.some((h) => h.text.includes(n)),
					`${n} in an alert; sent: ${JSON.stringify(hooks.map((h) => h.text))}`
				).toBe(true);
		}
	);

	it('alerts: the OOM loop reaches the webhook', { timeout: 120_000 }, async () => {
		// Docker backs the loop off to one restart a minute: a kill comes within about a minute
		const hook = await waitFor(
			'an OOM alert for trading-scheduler',
			async () => hooks.find((h) => /OOM/i.test(h.text) && h.text.includes('trading-scheduler')),
			100_000,
			500
		);
		expect(hook.text).toContain('trading-scheduler');
	});
});
