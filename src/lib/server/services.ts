// The app's services: built here, started once from hooks.server.ts `init` and stopped on SIGTERM
// through one list (lifecycle.ts): each background service is registered once with its start,
// stop and health.
import type { Registry } from 'prom-client';
import type { Config } from './config';
import { openDb, type Db } from './db';
import { createHistoryStore, type SqliteHistoryStore } from './db/history-store';
import { createAuth, type Auth } from './auth/auth';
import { createSampler } from './host/sampler';
import { withAuditRetention } from './audit/retention';
import { createMetrics } from './metrics';
import { createLogger, redactUrl, setLogLevel, type Logger } from './log';
import { markInterruptedActions } from './audit/actions';
import { createWatchdog, type Watchdog } from './watchdog/watchdog';
import { createDockerPort } from './watchdog/docker-port';
import { detectSelfContainerId } from './watchdog/self-id';
import { createSelfTestScheduler } from './watchdog/selftest';
import {
	createDockerAdapter,
	createDockerApi,
	createSelfTestDockerApi,
	type DockerAdapter
} from './docker';
import { createTrends, type Trends } from './trends/trends';
import { createPromClient } from './prometheus/client';
import { createDeployRecorder, deploysInRange, type DeployRecorder } from './trends/deploys';
import { createRunRecorder } from './timeline/run-recorder';
import { createExitRecorder } from './timeline/exit-recorder';
import { createDockerEventFollower, type DockerEventFollower } from './docker/event-follower';
import { createContainerWriteTrend } from './trends/local-containers';
import { createStatsCollector, type StatsCollector } from './docker/stats-collector';
import { registerContainerMetrics } from './docker/metrics';
import {
	createContainerHistoryStore,
	type SqliteContainerHistoryStore
} from './db/container-history-store';
import { createMaintenance, type Maintenance } from './maintenance/service';
import { registerMaintenanceMetrics } from './maintenance/metrics';
import { createOllamaClient, createOllamaSource, type OllamaSource } from './ollama/client';
import { createOllamaWatcher, type OllamaWatcher } from './ollama/watcher';
import { createRunnerCpuTracker } from './ollama/runner';
import { createOllamaPanel, type OllamaPanel } from './ollama/panel';
import { createScoreService, type ScoreService } from './score/service';
import { createScoreStore } from './score/store';
import { registerScoreMetrics } from './score/metrics';
import { createScoreTriggers } from './score/triggers';
import type { Alerts } from './alerts/service';
import { alertHostName, createAlertsFromConfig } from './alerts/from-config';
import { liveContainers, traceMemoryPressure } from './memory/trace';
import { currentSnapshot } from './health/current';
import { createResources, dockerDisk, type Resources } from './resources/report';
import { createOomKillReader } from './resources/oom';
import { createHub, type Hub } from './hub/service';
import { createDockerHosts } from './hub/docker-host';
import { createLocalSummary } from './hub/summary';
import { createHostsRegistry, type HostsAdmin } from './hosts/registry';
import {
	closeAllHosts,
	forgetHost,
	remoteClient,
	remoteDockerApi,
	remoteFetch
} from './hosts/connect';
import { createLifecycle, type ServiceHealth } from './lifecycle';

export interface Services {
	config: Config;
	db: Db;
	auth: Auth;
	sampler: ReturnType<typeof createSampler>;
	history: SqliteHistoryStore;
	metrics: Registry;
	watchdog: Watchdog;
	watchdogSelfTests: { nextAt(): number | null };
	trends: Trends;
	/** Records container deploys (new image per service) from Docker events for the trend charts. */
	deploys: DeployRecorder;
	/** The one Docker event stream the deploy and exit recorders follow (decision 0031). */
	dockerEvents: DockerEventFollower;
	/** Docker adapter: container list with last good data; Docker down never fails the app. */
	docker: DockerAdapter;
	/** Per-container CPU/memory/IO from cgroups after each Docker refresh. */
	containerStats: StatsCollector;
	containerHistory: SqliteContainerHistoryStore;
	maintenance: Maintenance;
	/** Ollama: reads as Availability, and the /api/ps poller behind the usage record */
	ollama: { source: OllamaSource; watcher: OllamaWatcher; panel: OllamaPanel };
	/** The VM score (issue 13): recomputed every 30 s, stored every VMW_SCORE_INTERVAL_S. */
	score: ScoreService;
	/** Alerts, the daily health message and the weekly digest (Telegram / webhook). */
	alerts: Alerts;
	/** Memory advice, I/O anomalies, image freshness, cost per stack (issue 12): read-only, on demand */
	resources: Resources;
	/** The hub (issue 15): all-hosts overview, forwarding to registry hosts, bare Docker hosts */
	hub: Hub;
	/** The hosts registry (issue 15): other VMs the hub shows; credentials encrypted under VMW_SECRET_KEY. */
	hosts: HostsAdmin;
	startedAt: number;
	/** For /healthz: each background service's state. */
	health(): { ok: boolean; services: Record<string, ServiceHealth> };
	stop(): Promise<void>;
}

let current: Services | null = null;

export function getServices(): Services {
	if (!current) throw new Error('services are not started (hooks.server.ts init has not run)');
	return current;
}

/** Start the singleton the app uses (hooks.server.ts `init`). */
export async function startServices(config: Config): Promise<Services> {
	if (current) return current;
	setLogLevel(config.logLevel);
	current = await createServices(config);
	return current;
}

/** Build and start a set of services; tests use this directly with their own config. */
export async function createServices(
	config: Config,
	{
		startSampler = true,
		startDocker = startSampler,
		startWatchdog = startDocker,
		startOllama = startSampler,
		startScore = startSampler,
		startAlerts = startSampler,
		markInterrupted = true
	}: {
		startSampler?: boolean;
		startDocker?: boolean;
		startWatchdog?: boolean;
		startOllama?: boolean;
		startScore?: boolean;
		startAlerts?: boolean;
		/** false for a one-shot command beside a running app (npm run digest): its pending actions are not ours */
		markInterrupted?: boolean;
	} = {}
): Promise<Services> {
	const log = createLogger('services');
	const db = await openDb({ url: config.databaseUrl, migrationsDir: config.migrationsDir });
	const interrupted = markInterrupted ? await markInterruptedActions(db) : 0;
	if (interrupted)
		log.warn(`${interrupted} action(s) were interrupted by the last stop; marked unknown`);
	const history = createHistoryStore(db, config.hostId, {
		rollupRetentionMs: config.historyRollupRetentionMs
	});
	const auth = await createAuth({
		db,
		enabled: config.auth.enabled,
		apiToken: config.auth.apiToken,
		adminPassword: config.auth.adminPassword,
		sessionTtlMs: config.auth.sessionTtlMs,
		sessionIdleMs: config.auth.sessionIdleMs,
		dataDir: config.dataDir,
		log: createLogger('auth')
	});
	const sampler = createSampler({
		procRoot: config.procRoot,
		rootfs: config.rootfs,
		mounts: config.diskMounts,
		intervalMs: config.sampleIntervalMs,
		history: withAuditRetention(history, {
			db,
			retentionMs: config.auditRetentionMs,
			log: createLogger('audit')
		}),
		historyRetentionMs: config.historyRetentionMs,
		log: createLogger('sampler')
	});
	const docker = createDockerAdapter({
		api: createDockerApi({
			host: config.docker.host,
			certPath: config.docker.certPath,
			timeoutMs: config.docker.timeoutMs
		}),
		intervalMs: config.docker.sampleIntervalMs,
		labels: config.docker.labels,
		log: createLogger('docker')
	});
	const containerHistory = createContainerHistoryStore(db, config.hostId);
	const containerStats = createStatsCollector({
		adapter: docker,
		cgroupRoot: config.docker.cgroupRoot,
		procRoot: config.procRoot,
		history: containerHistory,
		historyRetentionMs: config.historyRetentionMs,
		fallbackTimeoutMs: Math.min(4_000, config.docker.sampleIntervalMs),
		log: createLogger('container-stats')
	});
	const ollamaSource = createOllamaSource(
		createOllamaClient({
			url: config.ollamaUrl,
			timeoutMs: config.ollama.timeoutMs,
			loadTimeoutMs: config.ollama.loadTimeoutMs
		})
	);
	// each poll also reads the runner's CPU ticks: the baseline for the next request's CPU %.
	// Only while a model is loaded (no runner process exists otherwise): the reading scans every
	// /proc/<pid>/cmdline synchronously, 3-5 ms of blocked event loop per 120 processes.
	const runnerCpu = createRunnerCpuTracker({ procRoot: config.procRoot });
	const ollamaWatcher = createOllamaWatcher({
		source: ollamaSource,
		db,
		hostId: config.hostId,
		intervalMs: config.ollama.pollMs,
		log: createLogger('ollama'),
		afterPoll: (ps) => void (ps.state === 'ok' && ps.data.length > 0 && runnerCpu.read())
	});
	const ollamaPanel = createOllamaPanel({
		source: ollamaSource,
		db,
		hostId: config.hostId,
		runnerCpu,
		latestSample: () => sampler.latest(),
		freshSample: () => sampler.sampleOnce(),
		devRoot: config.devRoot,
		defaultContextLength: config.ollama.defaultContextLength,
		memAvailableWarnBytes: config.thresholds.memAvailableWarnBytes,
		memAvailableCritBytes: config.thresholds.memAvailableCritBytes,
		pollNow: () => ollamaWatcher.pollNow()
	});
	const metrics = createMetrics({
		latest: () => sampler.latest(),
		thresholds: config.thresholds,
		hostId: config.hostId
	});
	// one Prometheus client: the trend charts' queries and the alerts' "is Prometheus up" probe
	const prom = config.prometheusUrl
		? createPromClient({
				baseUrl: config.prometheusUrl,
				bearerToken: config.prometheus.token,
				timeoutMs: config.prometheus.timeoutMs
			})
		: null;
	const trends = createTrends({
		prom,
		selectors: {
			node: config.prometheus.nodeSelector,
			cadvisor: config.prometheus.cadvisorSelector,
			vmwarden: config.prometheus.vmwardenSelector,
			hostId: config.hostId
		},
		hostLabel: config.prometheus.hostLabel,
		thresholds: config.thresholds,
		spikeFactor: config.writeSpikeFactor,
		local: {
			minutes: async (r) => (await history.buckets(r)).points,
			rollups: async (r) => (await history.rollupBuckets(r)).points,
			rawRetentionMs: config.historyRetentionMs,
			containerWrites: createContainerWriteTrend({ db, hostId: config.hostId }).lines
		},
		cpuCount: () => {
			const s = sampler.latest();
			return s?.cpu.ok && s.cpu.perCpu.length ? s.cpu.perCpu.length : undefined;
		},
		deploys: (r) => deploysInRange(db, { hostId: config.hostId, ...r })
	});
	// one Docker event stream for the deploy and exit recorders (decision 0031); the watchdog keeps
	// its own (its scope, its events' replay and its reattach timing are its own)
	const dockerEvents = createDockerEventFollower({
		api: docker.api,
		labels: config.docker.labels,
		what: 'Docker events (deploys, exits)',
		log: createLogger('docker-events')
	});
	const deploys = createDeployRecorder({
		api: docker.api,
		db,
		hostId: config.hostId,
		labels: config.docker.labels,
		follower: dockerEvents,
		log: createLogger('deploys')
	});
	const maintenance = createMaintenance({ config, db, log: createLogger('maintenance') });
	// timeline rows no other table keeps (decision 0029): cleanup and cron runs, container exits
	const runRecorder = createRunRecorder({
		db,
		hostId: config.hostId,
		logDir: config.logDir,
		status: () => maintenance.status(),
		retentionMs: config.historyRollupRetentionMs,
		log: createLogger('timeline')
	});
	// subscribes to dockerEvents: nothing else to hold
	createExitRecorder({
		api: docker.api,
		db,
		hostId: config.hostId,
		labels: config.docker.labels,
		follower: dockerEvents,
		log: createLogger('timeline')
	});
	// score (issue 13): reads the sampler, Docker, maintenance, Ollama and trends through their own functions
	const score = createScoreService({
		sources: {
			hostId: config.hostId,
			boundaries: config.score.boundaries,
			sampleIntervalMs: config.sampleIntervalMs,
			sampler,
			minutes: (r) => history.range(r),
			containers: () => docker.containers(),
			maintenance: () => maintenance.status(),
			ollamaMemory: () => ollamaPanel.memory(),
			diskTrend: () => trends.series({ metric: 'disk', range: '7d' }),
			memoryTrace: (current) =>
				traceMemoryPressure(db, {
					hostId: config.hostId,
					toMs: current.at,
					current,
					currentContainers: liveContainers(containerStats.latest().values())
				})
		},
		store: createScoreStore(db, config.hostId),
		intervalMs: config.score.intervalMs,
		retentionMs: config.historyRollupRetentionMs,
		log: createLogger('score')
	});
	const resources = createResources({
		db,
		hostId: config.hostId,
		docker,
		stats: containerStats,
		freeDisk: () => dockerDisk(sampler.latest()),
		cgroupRoot: config.docker.cgroupRoot,
		settings: { ...config.resources, ioFactor: config.writeSpikeFactor },
		log: createLogger('resources')
	});
	// alerts and the weekly digest (issue 14)
	const alerts = createAlertsFromConfig({
		config,
		db,
		sampler,
		docker,
		containerStats,
		maintenance,
		trends,
		prom,
		resources
	});
	// watchdog (issue 9), over the adapter's Docker API; its restarts and quarantines go to the alerts
	const selfId = await detectSelfContainerId();
	const watchdog = createWatchdog({
		docker: createDockerPort(
			docker.api,
			createSelfTestDockerApi({
				host: config.docker.host,
				certPath: config.docker.certPath,
				timeoutMs: config.docker.timeoutMs
			})
		),
		db,
		hostId: config.hostId,
		config: config.watchdog,
		holdFile: config.holdFile,
		logDir: config.logDir,
		metrics,
		selfIds: selfId ? [selfId] : [],
		oomKills: createOomKillReader({
			cgroupRoot: config.docker.cgroupRoot,
			containers: () => docker.containers()
		}),
		log: createLogger('watchdog'),
		notify: (n) => alerts.onWatchdog(n)
	});
	const selfTests = createSelfTestScheduler({
		watchdog,
		schedule: config.watchdog.selfTestSchedule,
		log: createLogger('watchdog-selftest')
	});
	// /metrics beyond the host figures (the watchdog registers its own counters)
	registerContainerMetrics(metrics, { adapter: docker, collector: containerStats });
	registerMaintenanceMetrics(metrics, () => maintenance.status());
	// a scrape recomputes a score older than 30 s (the background refresh runs only for live subscribers)
	registerScoreMetrics(metrics, () =>
		startScore ? score.current().catch(() => score.latest()) : score.latest()
	);
	// hosts registry (issue 15): an edited or removed host's cached connection is dropped
	const hostsRegistry = createHostsRegistry({
		db,
		localHostId: config.hostId,
		secretKey: config.secretKey,
		previousSecretKey: config.previousSecretKey
	});
	hostsRegistry.onChange(forgetHost);
	// hub (issue 15, decision 0013): this instance's summary, and the overview over the registry
	const dockerHosts = createDockerHosts({
		dockerApi: remoteDockerApi,
		async fetchText(host, url, signal) {
			const res = await remoteFetch(host)(url, { signal, headers: { accept: 'text/plain' } });
			if (!res.ok) throw new Error(`node_exporter answered HTTP ${res.status}`);
			return res.text();
		},
		thresholds: config.thresholds,
		intervalMs: config.docker.sampleIntervalMs,
		log: createLogger('hub-docker')
	});
	const hub = createHub({
		local: {
			id: config.hostId,
			name: alertHostName(config),
			summary: createLocalSummary({
				hostId: config.hostId,
				snapshot: () => currentSnapshot({ sampler, config }),
				score,
				containers: () => {
					docker.wake(); // a hub asks: Docker's next attempt is not left backed off
					return docker.containers();
				},
				cron: () => maintenance.status(),
				diskTrend: () => trends.series({ metric: 'disk', range: '7d' })
			})
		},
		registry: hostsRegistry,
		db,
		connect: { remoteClient, remoteDockerApi },
		dockerContainers: (host) => dockerHosts.containers(host),
		dockerSummary: (host, signal) => dockerHosts.summary(host, signal),
		refreshMs: config.hub.refreshMs,
		concurrency: config.hub.concurrency,
		log: createLogger('hub')
	});
	hub.onHostChange((id) => dockerHosts.forget(id));

	// The background services, in start order; stopped in reverse (decision 0027). A service is
	// listed after what it uses: the watchdog and the deploy recorder after the Docker adapter
	// (they stop first), the stats collector before it (it listens to its refreshes), the
	// database first (closed last). Keys with health are /healthz's, in this order.
	const lifecycle = createLifecycle(
		[
			{ name: 'db', service: { stop: () => db.$client.close() } },
			{ name: 'remote-hosts', service: { stop: closeAllHosts } },
			{ name: 'metrics', service: { stop: () => metrics.stopLoopLag() } },
			{ name: 'sampler', service: sampler, start: startSampler, vital: true },
			{ name: 'container-stats', service: containerStats },
			{ name: 'docker', service: docker, start: startDocker },
			{ name: 'watchdog', service: watchdog, start: startWatchdog },
			{ name: 'watchdog-selftest', service: selfTests, start: startWatchdog },
			{ name: 'cleanup', service: maintenance },
			{ name: 'ollama', service: ollamaWatcher, start: startOllama },
			// the recorders follow the shared stream: it starts once both have subscribed, and stops first
			{ name: 'deploys', service: deploys, start: startDocker },
			{ name: 'docker-events', service: dockerEvents, start: startDocker },
			{ name: 'timeline-runs', service: runRecorder, start: startAlerts },
			{
				// the event followers back off while Docker is unreachable; the adapter's refresh is the
				// one that notices its return (at once when a page asks: wake): they follow it at once
				name: 'docker-reattach',
				service: dockerReattach({ docker, followers: [watchdog, dockerEvents] }),
				start: startDocker
			},
			{ name: 'score', service: score, start: startScore },
			{
				name: 'score-triggers',
				service: createScoreTriggers(score, { docker, sampler }),
				start: startScore
			},
			{ name: 'alerts', service: alerts, start: startAlerts },
			{ name: 'hosts', service: { start: () => resealHosts(hostsRegistry, config, log) } },
			{ name: 'hub-docker', service: dockerHosts },
			{ name: 'hub', service: hub }
		],
		log
	);
	await lifecycle.start();

	const services: Services = {
		config,
		db,
		auth,
		sampler,
		history,
		metrics,
		watchdog,
		watchdogSelfTests: selfTests,
		trends,
		deploys,
		dockerEvents,
		docker,
		containerStats,
		containerHistory,
		maintenance,
		ollama: { source: ollamaSource, watcher: ollamaWatcher, panel: ollamaPanel },
		score,
		alerts,
		resources,
		hub,
		hosts: hostsRegistry,
		startedAt: Date.now(),
		health: () => lifecycle.health(),
		async stop() {
			await lifecycle.stop();
			if (current === services) current = null;
			log.info('services stopped');
		}
	};
	log.info('services started', {
		hostId: config.hostId,
		database: redactUrl(config.databaseUrl),
		procRoot: config.procRoot,
		mounts: config.diskMounts,
		auth: config.auth.enabled ? 'on' : 'off'
	});
	return services;
}

/** Calls each follower's `retryNow` when a Docker refresh succeeds (a no-op unless it is waiting to retry). */
function dockerReattach({
	docker,
	followers
}: {
	docker: DockerAdapter;
	followers: { retryNow(): void }[];
}) {
	let off: (() => void) | null = null;
	return {
		start() {
			off ??= docker.subscribe((r) => {
				if (r.state !== 'ok') return;
				for (const f of followers) f.retryNow();
			});
		},
		stop() {
			off?.();
			off = null;
		}
	};
}

/** Rows sealed under VMW_SECRET_KEY_PREVIOUS move to the current key, in the background. */
function resealHosts(hosts: HostsAdmin, config: Config, log: Logger) {
	if (!config.previousSecretKey) return;
	void hosts.reseal().then(
		(moved) => log.info('hosts: credentials re-sealed under the current VMW_SECRET_KEY', { moved }),
		(err) =>
			log.error('hosts: re-sealing under the current VMW_SECRET_KEY failed', { error: String(err) })
	);
}
