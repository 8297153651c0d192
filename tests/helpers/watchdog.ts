// Shared by the watchdog integration tests: a watchdog scoped to one run's label, and an
// independent recorder of Docker events (the tests time restarts from Docker's own events,
// not from what the watchdog reports about itself).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { Registry } from 'prom-client';
import { createDockerApi, createSelfTestDockerApi } from '../../src/lib/server/docker';
import { createLogger } from '../../src/lib/server/log';
import { parseConfig } from '../../src/lib/server/config';
import {
	createDockerPort,
	parseEventLine,
	type DockerEvent
} from '../../src/lib/server/watchdog/docker-port';
import {
	createWatchdog,
	type WatchdogConfig,
	type WatchdogNotification
} from '../../src/lib/server/watchdog/watchdog';
import { freshDb } from './db';
import { TEST_LABEL } from './containers';

export async function startTestWatchdog({
	dockerHost,
	run,
	config = {},
	holdFile,
	selfIds = [],
	reuseDb
}: {
	dockerHost: string;
	run: string;
	config?: Partial<WatchdogConfig>;
	holdFile?: string;
	selfIds?: string[];
	reuseDb?: Awaited<ReturnType<typeof freshDb>>;
}) {
	// reuseDb: a second watchdog on the first one's database (an app restart)
	const t = reuseDb ?? (await freshDb());
	const logDir = await mkdtemp(path.join(tmpdir(), 'vmw-wdlog-'));
	const notifications: WatchdogNotification[] = [];
	const metrics = new Registry();
	const defaults = parseConfig({});
	const base = defaults.watchdog;
	// The app's own Docker timeout (VMW_DOCKER_TIMEOUT_MS, 5 s): a restart waits a stop grace longer than that.
	const timeoutMs = defaults.docker.timeoutMs;
	const watchdog = createWatchdog({
		docker: createDockerPort(
			createDockerApi({ host: dockerHost, timeoutMs }),
			createSelfTestDockerApi({ host: dockerHost, timeoutMs: 10_000 })
		),
		db: t.db,
		hostId: 'local',
		// Scoped to this run's label: never touches other engineers' containers on the shared daemon.
		config: { ...base, onlyLabel: { key: TEST_LABEL, value: run }, ...config },
		holdFile: holdFile ?? path.join(logDir, 'no-such-hold-file'),
		logDir,
		metrics,
		selfIds,
		notify: (n) => void notifications.push(n),
		log: createLogger(`test-watchdog-${run}`)
	});
	await watchdog.start();
	return {
		watchdog,
		dbHandle: t,
		db: t.db,
		logDir,
		logFile: path.join(logDir, 'docker-watchdog.log'),
		notifications,
		metrics,
		async stop({ keepDb = false }: { keepDb?: boolean } = {}) {
			await watchdog.stop();
			if (!keepDb) await t.cleanup();
			await rm(logDir, { recursive: true, force: true });
		}
	};
}

/** Records container events carrying `label=value` from the daemon, for the test's own timing. */
export async function recordEvents(docker: Docker, label: string, values: string[]) {
	const events: DockerEvent[] = [];
	const ac = new AbortController();
	// Several label filters on one key would have to ALL match: filter by value here instead.
	const stream = (await docker.getEvents({
		filters: { type: ['container'], label: [label] },
		abortSignal: ac.signal
	} as Docker.GetEventsOptions)) as NodeJS.ReadableStream & { destroy(): void };
	let buf = '';
	stream.on('data', (chunk: Buffer) => {
		buf += chunk.toString('utf8');
		let nl: number;
		while ((nl = buf.indexOf('\n')) >= 0) {
			const e = parseEventLine(buf.slice(0, nl));
			buf = buf.slice(nl + 1);
			if (e && values.includes(e.attributes[label])) events.push(e);
		}
	});
	stream.on('error', () => undefined);
	return {
		events,
		of: (id: string, action?: string) =>
			events.filter((e) => e.id === id && (action === undefined || e.action === action)),
		stop() {
			ac.abort();
			stream.destroy();
		}
	};
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
