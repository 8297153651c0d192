// The roadmap's monthly chaos validation, on demand and on a schedule: a throwaway container
// whose health check starts failing after 2 s; the watchdog must restart it; we measure the
// time from the 3rd failure (Docker's health_status: unhealthy event) to the restart call,
// remove the container and store the result.
import { randomBytes } from 'node:crypto';
import { CronExpressionParser } from 'cron-parser';
import { recordAction } from '../audit/actions';
import { createLogger, type Logger } from '../log';
import { WatchdogError, type RestartedEvent, type Watchdog } from './watchdog';
import type { SelfTestRow } from '../db/watchdog-store';

export const SELFTEST_LABEL = 'vmwarden.watchdog.selftest';

export interface SelfTestResult {
	id: number;
	outcome: 'ok' | 'failed';
	reactionMs: number | null;
	detail: string;
	startedAt: number;
	endedAt: number;
	containerRemoved: boolean;
}

let running: Promise<SelfTestResult> | null = null;

export function selfTestRunning(): boolean {
	return running !== null;
}

export async function runSelfTest(
	watchdog: Watchdog,
	{
		trigger,
		actor,
		address = null,
		timeoutMs = 60_000,
		extraLabels = {}
	}: {
		trigger: 'manual' | 'schedule';
		actor: string;
		address?: string | null;
		timeoutMs?: number;
		extraLabels?: Record<string, string>;
	}
): Promise<SelfTestResult> {
	if (running) throw new WatchdogError('CONFLICT', 'a self-test is already running');
	running = recordAction(
		watchdog.db,
		{
			hostId: watchdog.hostId,
			actor,
			address,
			action: 'watchdog.selfTest',
			target: watchdog.config.selfTestImage,
			input: { trigger }
		},
		() => selfTestOnce(watchdog, trigger, timeoutMs, extraLabels),
		(r) => `${r.outcome}: ${r.detail}`
	).finally(() => (running = null));
	return running;
}

async function selfTestOnce(
	watchdog: Watchdog,
	trigger: 'manual' | 'schedule',
	timeoutMs: number,
	extraLabels: Record<string, string>
): Promise<SelfTestResult> {
	const { store, docker, config } = watchdog;
	const startedAt = Date.now();
	const rowId = await store.startSelfTest({ trigger, at: startedAt });
	const runId = randomBytes(4).toString('hex');
	const only = config.onlyLabel ? { [config.onlyLabel.key]: config.onlyLabel.value } : {};
	let containerId: string | null = null;
	let outcome: 'ok' | 'failed' = 'failed';
	let reactionMs: number | null = null;
	let detail = '';
	let containerRemoved = false;
	let off = () => {};
	try {
		if (watchdog.mode() !== 'on')
			throw new Error(`the watchdog is ${watchdog.mode()}: it would not restart anything`);
		const restarted = new Promise<RestartedEvent>((resolve) => {
			off = watchdog.on('restarted', (e) => {
				if (e.id === containerId) resolve(e);
			});
		});
		containerId = await docker.runContainer({
			name: `vmwarden-selftest-${runId}`,
			Image: config.selfTestImage,
			// Healthy for 2 s, then the check fails; a restart starts it healthy again.
			Cmd: ['sh', '-c', 'rm -f /tmp/fail; (sleep 2; touch /tmp/fail) & while :; do sleep 1; done'],
			Labels: { ...extraLabels, ...only, 'vmwarden.watchdog': 'true', [SELFTEST_LABEL]: runId },
			StopSignal: 'SIGKILL',
			Healthcheck: {
				Test: ['CMD-SHELL', 'test ! -e /tmp/fail'],
				Interval: 1e9,
				Timeout: 1e9,
				Retries: 3,
				StartPeriod: 0
			},
			HostConfig: { NetworkMode: 'none' }
		});
		let timer: NodeJS.Timeout | undefined;
		const timeout = new Promise<null>(
			(resolve) => (timer = setTimeout(() => resolve(null), timeoutMs))
		);
		const e = await Promise.race([restarted, timeout]);
		clearTimeout(timer);
		if (!e) {
			const s = watchdog.status().containers.find((c) => c.id === containerId);
			throw new Error(
				`not restarted within ${Math.round(timeoutMs / 1000)} s${s ? ` (watchdog: ${s.state}, ${s.reason})` : ''}`
			);
		}
		if (!e.ok) throw new Error('the watchdog tried to restart it and the restart failed');
		reactionMs = e.reactionMs;
		outcome = 'ok';
		detail = `restarted ${reactionMs ?? '?'} ms after its 3rd failed check`;
	} catch (err) {
		detail = (err as Error).message;
	} finally {
		off();
		if (containerId) {
			try {
				await docker.removeContainer(containerId);
				containerRemoved = true;
			} catch (err) {
				detail += `; could not remove the test container ${containerId.slice(0, 12)}: ${(err as Error).message}`;
			}
		} else containerRemoved = true;
	}
	const endedAt = Date.now();
	await store.endSelfTest(rowId, { outcome, reactionMs, detail, at: endedAt });
	return { id: rowId, outcome, reactionMs, detail, startedAt, endedAt, containerRemoved };
}

export function lastSelfTests(watchdog: Watchdog, limit = 5): Promise<SelfTestRow[]> {
	return watchdog.store.selfTests(limit);
}

/** Next run of a 5-field cron expression in UTC. */
export function nextSelfTestAt(schedule: string, from: number): number {
	return CronExpressionParser.parse(schedule, { tz: 'UTC', currentDate: new Date(from) })
		.next()
		.getTime();
}

/** Runs the self-test on its schedule (monthly by default); `null` schedule = never. */
export function createSelfTestScheduler({
	watchdog,
	schedule,
	log = createLogger('watchdog-selftest')
}: {
	watchdog: Watchdog;
	schedule: string | null;
	log?: Logger;
}) {
	let timer: NodeJS.Timeout | null = null;
	let nextAt: number | null = null;
	let stopped = false;
	const arm = () => {
		if (!schedule || stopped) return;
		nextAt = nextSelfTestAt(schedule, Date.now());
		// setTimeout caps at ~24.8 days: re-arm until the date is near.
		const delay = Math.min(nextAt - Date.now(), 2 ** 31 - 1);
		timer = setTimeout(
			async () => {
				if (Date.now() >= (nextAt ?? 0) - 1000) {
					try {
						const r = await runSelfTest(watchdog, { trigger: 'schedule', actor: 'watchdog' });
						log.info('scheduled self-test', {
							outcome: r.outcome,
							reactionMs: r.reactionMs,
							detail: r.detail
						});
					} catch (err) {
						log.warn('scheduled self-test did not run', { err });
					}
				}
				arm();
			},
			Math.max(delay, 1000)
		);
		timer.unref?.();
	};
	return {
		start: arm,
		stop() {
			stopped = true;
			if (timer) clearTimeout(timer);
		},
		nextAt: () => nextAt
	};
}
