// The roadmap's morning on the reference stack (issue 20): the 7 web containers (busybox sleep as
// PID 1: SIGTERM is ignored, every stop waits Docker's 10 s grace) turn unhealthy together. With
// the watchdog's default settings — only scoped to the stack, as the shared daemon needs — each is
// restarted exactly once, within 30 s of its own `health_status: unhealthy` event; the score and
// the digest say so while they are unhealthy and after. Times come from Docker's event stream.
import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { parseConfig } from '../../src/lib/server/config';
import { createServices, type Services } from '../../src/lib/server/services';
import { listActions } from '../../src/lib/server/audit/actions';
import { htmlToText } from '../../src/lib/server/notify/html';
import { requireDocker, rigEnv } from '../helpers/rig';
import { TEST_LABEL, waitFor } from '../helpers/containers';
import { recordEvents } from '../helpers/watchdog';
import {
	STACK_LABEL,
	STACK_RUN,
	WEB_CONTAINERS,
	WEB_DOWN_FILE,
	breakWebContainers
} from '../helpers/reference-stack';

const env = rigEnv();
let docker: Docker;
let services: Services;
let dir: string;
let recorder: Awaited<ReturnType<typeof recordEvents>>;
const ids = new Map<string, string>();

beforeAll(async () => {
	docker = await requireDocker(env);
	for (const name of WEB_CONTAINERS) ids.set(name, (await docker.getContainer(name).inspect()).Id);
	recorder = await recordEvents(docker, TEST_LABEL, [STACK_RUN]);
	dir = await mkdtemp(path.join(tmpdir(), 'vmw-morning-'));
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
			// the watchdog with its defaults (VMW_WATCHDOG=on is one), kept to the stack on the shared daemon
			VMW_WATCHDOG_ONLY_LABEL: STACK_LABEL,
			VMW_CLEANUP_HOLD_FILE: path.join(dir, 'no-hold')
		}),
		{
			startSampler: true,
			startDocker: true,
			startWatchdog: true,
			startOllama: false,
			startAlerts: false
		}
	);
}, 120_000);

afterAll(async () => {
	recorder?.stop();
	await services?.stop();
	// whatever happened, the web containers leave healthy for the next file
	if (docker) {
		await Promise.allSettled(
			WEB_CONTAINERS.map(async (n) => {
				const e = await docker.getContainer(n).exec({ Cmd: ['rm', '-f', WEB_DOWN_FILE] });
				await e.start({ Detach: true });
			})
		);
	}
	if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the roadmap's morning", () => {
	it(
		'7 web containers unhealthy at once: each restarted once, within 30 s, by the watchdog with default settings; the score and the digest say so',
		{ timeout: 240_000 },
		async () => {
			const servicesDim = async () =>
				(await services.score.refresh()).dimensions.find((d) => d.id === 'services')!;
			const digest = async () => htmlToText(await services.alerts.previewDigest());
			await waitFor(
				'the app to list the web containers healthy',
				async () => {
					const r = services.docker.containers();
					return (
						r.state === 'ok' &&
						WEB_CONTAINERS.every((n) => r.data.find((c) => c.name === n)?.health === 'healthy')
					);
				},
				60_000,
				500
			);
			await services.watchdog.idle();

			// before: at most the flapping notes-search and the leaking trading-feed are unhealthy
			const before = await servicesDim();
			expect(before.input).toBeLessThanOrEqual(2);
			expect(before.points).toBeGreaterThanOrEqual(15);
			const digestBefore = await digest();
			for (const n of WEB_CONTAINERS) expect(digestBefore).not.toContain(n);
			const inputs: number[] = [];
			const off = services.score.subscribe(() => {
				const s = services.score.latest()?.dimensions.find((d) => d.id === 'services');
				if (s?.input != null) inputs.push(s.input);
			});

			const t0 = Date.now();
			await breakWebContainers(docker);
			const unhealthyAt = (name: string) =>
				recorder.of(ids.get(name)!, 'health_status: unhealthy').find((e) => e.at >= t0)?.at;
			// 3 failing checks 10 s apart: each turns unhealthy 20–30 s after the break
			await waitFor(
				'a web container to turn unhealthy',
				async () => WEB_CONTAINERS.some((n) => unhealthyAt(n)),
				60_000,
				100
			);
			// the app's list refreshes every second (slower on a loaded machine); the stop grace keeps
			// the container unhealthy for 10 s after the watchdog asks
			await waitFor(
				'the app to list a web container unhealthy',
				async () => {
					const r = services.docker.containers();
					return (
						r.state === 'ok' &&
						r.data.some((c) => WEB_CONTAINERS.includes(c.name) && c.health === 'unhealthy')
					);
				},
				8_000,
				100
			);
			const digestDuring = await digest();
			expect(digestDuring).toMatch(/Containers: \d+ unhealthy \(action required\)/);
			expect(WEB_CONTAINERS.filter((n) => digestDuring.includes(n)).length).toBeGreaterThanOrEqual(
				1
			);

			await waitFor(
				'all 7 to turn unhealthy',
				async () => WEB_CONTAINERS.every((n) => unhealthyAt(n)),
				60_000,
				100
			);
			const eventAfter = (name: string, action: string) =>
				recorder.of(ids.get(name)!, action).find((e) => e.at > unhealthyAt(name)!)?.at;
			const lastUnhealthy = Math.max(...WEB_CONTAINERS.map((n) => unhealthyAt(n)!));
			await waitFor(
				'all 7 started again',
				async () => WEB_CONTAINERS.every((n) => eventAfter(n, 'start')),
				lastUnhealthy + 60_000 - Date.now(),
				100
			).catch(() => null);
			const ms = (action: string) =>
				Object.fromEntries(
					WEB_CONTAINERS.map((n) => [
						n,
						eventAfter(n, action) ? Math.round(eventAfter(n, action)! - unhealthyAt(n)!) : null
					])
				);
			const died = ms('die');
			const started = ms('start');
			const seen = `unhealthy -> stopped (die) ms: ${JSON.stringify(died)}; -> started again ms: ${JSON.stringify(started)}`;
			// Each restarted within 30 s of its own unhealthy event: its stop done (Docker's `die`, after
			// the 10 s grace) within 30 s, and started again. How long the start half then takes is
			// Docker's business and grows with the shared machine's load (as in watchdog.test.ts): not
			// timed beyond the wait above. With 4 at a time the 7 heal in two rounds: ~21 s idle.
			for (const n of WEB_CONTAINERS) expect(died[n], `${n}: ${seen}`).not.toBeNull();
			for (const n of WEB_CONTAINERS) expect(died[n]!, `${n}: ${seen}`).toBeLessThanOrEqual(30_000);
			for (const n of WEB_CONTAINERS) expect(started[n], `${n}: ${seen}`).not.toBeNull();
			console.log(`the morning: ${seen}`);

			// after: healthy again (first check 10 s after the start), the score and the digest back
			await waitFor(
				'all 7 healthy again',
				async () => {
					const r = services.docker.containers();
					return (
						r.state === 'ok' &&
						WEB_CONTAINERS.every((n) => r.data.find((c) => c.name === n)?.health === 'healthy')
					);
				},
				60_000,
				500
			);
			await services.watchdog.idle();
			off();
			// the score saw them: 3–5 unhealthy → 8, 6+ → 2 (they turn unhealthy within one check interval of each other)
			expect(
				Math.max(...inputs),
				`services inputs seen: ${inputs.join(',')}`
			).toBeGreaterThanOrEqual(3);
			const after = await servicesDim();
			expect(after.input).toBeLessThanOrEqual(2);
			expect(after.points).toBeGreaterThanOrEqual(15);
			const digestAfter = await digest();
			for (const n of WEB_CONTAINERS) expect(digestAfter).not.toContain(n);

			// exactly once each: Docker's own events, the actions record and the watchdog log agree
			for (const n of WEB_CONTAINERS)
				expect(
					recorder.of(ids.get(n)!, 'restart').filter((e) => e.at >= t0),
					`${n}: Docker restart events`
				).toHaveLength(1);
			const acts = (
				await listActions(services.db, { action: 'watchdog.restart', limit: 200 })
			).filter((a) => WEB_CONTAINERS.includes(a.target ?? ''));
			expect(acts.map((a) => a.target).sort()).toEqual([...WEB_CONTAINERS].sort());
			expect(acts.map((a) => a.outcome)).toEqual(WEB_CONTAINERS.map(() => 'ok'));
			const log = await readFile(path.join(dir, 'docker-watchdog.log'), 'utf8');
			for (const n of WEB_CONTAINERS)
				expect(
					log.match(new RegExp(`Auto-restarted: ${n} \\(`, 'g')),
					`${n} in the watchdog log`
				).toHaveLength(1);
		}
	);
});
