// Owns the background services' lifecycle: started once from hooks.server.ts `init`, stopped on SIGTERM.
import type { Registry } from 'prom-client';
import type { Config } from './config';
import { openDb, type Db } from './db';
import { createHistoryStore, type SqliteHistoryStore } from './db/history-store';
import { createAuth, type Auth } from './auth/auth';
import { createSampler } from './host/sampler';
import { withAuditRetention } from './audit/retention';
import { createMetrics } from './metrics';
import { isFresh } from './health/snapshot';
import { createLogger, redactUrl, setLogLevel } from './log';
import { markInterruptedActions } from './audit/actions';
import { createWatchdog, type Watchdog } from './watchdog/watchdog';
import { createDockerPort } from './watchdog/docker-port';
import { detectSelfContainerId } from './watchdog/self-id';
import { createSelfTestScheduler } from './watchdog/selftest';
import { createDockerAdapter, createDockerApi, createSelfTestDockerApi, type DockerAdapter } from './docker';
import { createTrends, type Trends } from './trends/trends';
import { createPromClient } from './prometheus/client';
import { createDeployRecorder, deploysInRange, type DeployRecorder } from './trends/deploys';
import { createRunRecorder } from './timeline/run-recorder';
import { createExitRecorder } from './timeline/exit-recorder';
import { createContainerWriteTrend } from './trends/local-containers';
import { historyBuckets } from './db/history-buckets';
import { createStatsCollector, type StatsCollector } from './docker/stats-collector';
import { registerContainerMetrics } from './docker/metrics';
import { createContainerHistoryStore, type SqliteContainerHistoryStore } from './db/container-history-store';
import { createMaintenance, type Maintenance } from './maintenance/service';
import { registerMaintenanceMetrics } from './maintenance/metrics';
import { createOllamaClient, createOllamaSource, type OllamaSource } from './ollama/client';
import { createOllamaWatcher, type OllamaWatcher } from './ollama/watcher';
import { createRunnerCpuTracker } from './ollama/runner';
import { createOllamaPanel, type OllamaPanel } from './ollama/panel';
import { createScoreService, type ScoreService } from './score/service';
import { createScoreStore } from './score/store';
import { registerScoreMetrics } from './score/metrics';
import { isUnhealthy } from './docker/health';
import { hostname } from 'node:os';
import { createAlerts, type Alerts } from './alerts/service';
import { createObserver } from './alerts/observe';
import { traceMemoryPressure, traceSwapPeak } from './memory/trace';
import { createTelegramSender, readTelegramEnv } from './notify/telegram';
import { createWebhookSender } from './notify/webhook';
import { gatherDigest } from './digest/data';
import { sessionsBetween } from './ollama/usage';
import { currentSnapshot } from './health/current';
import { createResources, type Resources } from './resources/report';
import { readCgroupOomKills } from './resources/oom';
import { detectLayout, type CgroupLayout } from './docker/cgroup';
import { createHub, type Hub } from './hub/service';
import { createDockerHosts } from './hub/docker-host';
import { createLocalSummary } from './hub/summary';
import { createHostsRegistry, type HostsAdmin } from './hosts/registry';
import { closeAllHosts, forgetHost, remoteClient, remoteDockerApi, remoteFetch } from './hosts/connect';

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
	health(): { ok: boolean; services: Record<string, { ok: boolean; detail: string }> };
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
	if (interrupted) log.warn(`${interrupted} action(s) were interrupted by the last stop; marked unknown`);
	const history = createHistoryStore(db, config.hostId, { rollupRetentionMs: config.historyRollupRetentionMs });
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
		history: withAuditRetention(history, { db, retentionMs: config.auditRetentionMs, log: createLogger('audit') }),
		historyRetentionMs: config.historyRetentionMs,
		log: createLogger('sampler')
	});
	if (startSampler) await sampler.start();
	const docker = createDockerAdapter({
		api: createDockerApi({ host: config.docker.host, certPath: config.docker.certPath, timeoutMs: config.docker.timeoutMs }),
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
	containerStats.start();
	if (startDocker) docker.start();
	const ollamaSource = createOllamaSource(
		createOllamaClient({ url: config.ollamaUrl, timeoutMs: config.ollama.timeoutMs, loadTimeoutMs: config.ollama.loadTimeoutMs })
	);
	// each poll also reads the runner's CPU ticks: the baseline for the next request's CPU %.
	// Only while a model is loaded (no runner process exists otherwise): the reading scans every
	// /proc/<pid>/cmdline synchronously, 3-5 ms of blocked event loop per 120 processes.
	const runnerCpu = createRunnerCpuTracker({ procRoot: config.procRoot });
	const ollamaWatcher = createOllamaWatcher({ source: ollamaSource, db, hostId: config.hostId, intervalMs: config.ollama.pollMs, log: createLogger('ollama'), afterPoll: (ps) => void (ps.state === 'ok' && ps.data.length > 0 && runnerCpu.read()) });
	if (startOllama) ollamaWatcher.start();
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
	const metrics = createMetrics({ latest: () => sampler.latest(), thresholds: config.thresholds, hostId: config.hostId });
	// watchdog (issue 9), over the adapter's Docker API; its notifications go to the alerts service (set below)
	let watchdogNotify: (n: import('./watchdog/watchdog').WatchdogNotification) => Promise<void> | void = () => {};
	const selfId = await detectSelfContainerId();
	// the kernel's OOM-kill count of a container (VMW_CGROUP_ROOT), for the watchdog's OOM counter
	let oomLayout: CgroupLayout | null = null;
	const oomKills = (id: string): number | null => {
		oomLayout ??= detectLayout(config.docker.cgroupRoot);
		const listed = docker.containers();
		const parent = (listed.state === 'ok' ? listed.data : (listed.lastGood ?? [])).find((c) => c.id === id)?.cgroupParent ?? '';
		return readCgroupOomKills(oomLayout, id, parent);
	};
	const watchdog = createWatchdog({ docker: createDockerPort(docker.api, createSelfTestDockerApi({ host: config.docker.host, certPath: config.docker.certPath, timeoutMs: config.docker.timeoutMs })), db, hostId: config.hostId, config: config.watchdog, holdFile: config.holdFile, logDir: config.logDir, metrics, selfIds: selfId ? [selfId] : [], oomKills, log: createLogger('watchdog'), notify: (n) => watchdogNotify(n) });
	if (startWatchdog) await watchdog.start();
	const selfTests = createSelfTestScheduler({ watchdog, schedule: config.watchdog.selfTestSchedule, log: createLogger('watchdog-selftest') });
	if (startWatchdog) selfTests.start();
	const trends = createTrends({
		prom: config.prometheusUrl ? createPromClient({ baseUrl: config.prometheusUrl, bearerToken: config.prometheus.token, timeoutMs: config.prometheus.timeoutMs }) : null,
		selectors: { node: config.prometheus.nodeSelector, cadvisor: config.prometheus.cadvisorSelector, vmwarden: config.prometheus.vmwardenSelector, hostId: config.hostId },
		hostLabel: config.prometheus.hostLabel,
		thresholds: config.thresholds,
		spikeFactor: config.writeSpikeFactor,
		local: {
			minutes: async (r) => (await history.buckets(r)).points,
			rollups: async (r) => (await historyBuckets(db, { table: 'host_history_rollup', hostId: config.hostId, ...r })).points,
			rawRetentionMs: config.historyRetentionMs,
			containerWrites: createContainerWriteTrend({ db, hostId: config.hostId }).lines
		},
		cpuCount: () => {
			const s = sampler.latest();
			return s?.cpu.ok && s.cpu.perCpu.length ? s.cpu.perCpu.length : undefined;
		},
		deploys: (r) => deploysInRange(db, { hostId: config.hostId, ...r })
	});
	const deploys = createDeployRecorder({ api: docker.api, db, hostId: config.hostId, labels: config.docker.labels, log: createLogger('deploys') });
	if (startDocker) deploys.start();
	registerContainerMetrics(metrics, { adapter: docker, collector: containerStats });
	const maintenance = createMaintenance({ config, db, log: createLogger('maintenance') });
	// timeline rows no other table keeps (decision 0029): cleanup and cron runs, container exits
	const runRecorder = createRunRecorder({ db, hostId: config.hostId, logDir: config.logDir, status: () => maintenance.status(), retentionMs: config.historyRollupRetentionMs, log: createLogger('timeline') });
	if (startAlerts) runRecorder.start();
	const exitRecorder = createExitRecorder({ api: docker.api, db, hostId: config.hostId, labels: config.docker.labels, log: createLogger('timeline') });
	if (startDocker) exitRecorder.start();
	registerMaintenanceMetrics(metrics, () => maintenance.status());
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
			memoryTrace: (current) => traceMemoryPressure(db, { hostId: config.hostId, toMs: current.at, current })
		},
		store: createScoreStore(db, config.hostId),
		intervalMs: config.score.intervalMs,
		retentionMs: config.historyRollupRetentionMs,
		log: createLogger('score')
	});
	// a scrape recomputes a score older than 30 s (the background refresh runs only for live subscribers)
	registerScoreMetrics(metrics, () => (startScore ? score.current().catch(() => score.latest()) : score.latest()));
	if (startScore) score.start();
	// the services tile follows Docker at once: recompute when the unhealthy count or Docker's availability changes
	let unhealthyKey = '';
	docker.subscribe((r) => {
		const key = r.state === 'ok' ? String(r.data.filter(isUnhealthy).length) : 'unavailable';
		if (key !== unhealthyKey && startScore) score.poke();
		unhealthyKey = key;
	});
	// and the host tiles as soon as the sampler has what they lacked (steal needs a second sample)
	sampler.subscribe((sample) => {
		const unknown = score.latest()?.unknown ?? [];
		const now = (unknown.includes('cpu') && sample.cpu.ok && sample.cpu.stealPct !== null) || (unknown.includes('memory') && sample.memory.ok) || (unknown.includes('disk') && sample.disks.some((d) => d.figures.ok));
		if (now && startScore) score.poke();
	});
	const resources = createResources({
		db,
		hostId: config.hostId,
		docker,
		stats: containerStats,
		// the disk Docker writes to: /var/lib/docker when it is a sampled mount of its own, else the first
		freeDisk: () => {
			const disks = sampler.latest()?.disks ?? [];
			const d = disks.find((x) => x.mount === '/var/lib/docker' && x.figures.ok) ?? disks.find((x) => x.figures.ok);
			return d && d.figures.ok ? { mount: d.mount, availBytes: d.figures.availBytes } : null;
		},
		cgroupRoot: config.docker.cgroupRoot,
		settings: { ...config.resources, ioFactor: config.writeSpikeFactor },
		log: createLogger('resources')
	});
	// alerts and the weekly digest (issue 14)
	const a = config.alerts;
	const alertsPromClient = config.prometheusUrl ? createPromClient({ baseUrl: config.prometheusUrl, bearerToken: config.prometheus.token, timeoutMs: config.prometheus.timeoutMs }) : null;
	const alertHost = a.hostName ?? (config.hostId === 'local' ? hostname() : config.hostId);
	const alerts: Alerts = createAlerts({
		db,
		hostId: config.hostId,
		host: alertHost,
		enabled: a.enabled,
		intervalMs: a.intervalMs,
		thresholds: { ...config.thresholds, stealForMs: a.stealForMs, diskFillPct: a.diskFillPct, diskFillDays: a.diskFillDays, unreachableForMs: a.unreachableForMs, hysteresis: a.hysteresis },
		digestThresholds: { ...config.thresholds, stealEscalatePct: a.stealEscalatePct },
		configMutes: a.mute,
		tz: a.tz,
		dailyAt: a.dailyAt,
		digest: a.digest,
		telegram: createTelegramSender({ apiUrl: a.telegramApiUrl, credentials: () => readTelegramEnv(a.telegramEnvFile), timeoutMs: a.telegramTimeoutMs, log: createLogger('telegram') }),
		webhook: a.webhookUrl ? createWebhookSender({ url: a.webhookUrl, secret: a.webhookSecret }) : null,
		observe: createObserver({
			sample: () => sampler.latest(),
			maxSampleAgeMs: Math.max(3 * config.sampleIntervalMs, 30_000),
			containers: () => docker.containers(),
			dockerAsked: () => docker.status().refreshes > 0 || docker.status().lastErrorAt !== null,
			cron: () => maintenance.status(),
			trends,
			diskFillPct: a.diskFillPct,
			prometheusUp: alertsPromClient ? async () => (await alertsPromClient.query('vector(1)')).state !== 'unavailable' : null,
			resources,
			memoryTrace: (now, current) => traceMemoryPressure(db, { hostId: config.hostId, toMs: now, current })
		}),
		snapshot: () => currentSnapshot({ sampler, config }),
		digestData: (now) =>
			gatherDigest(
				{ host: alertHost, tz: a.tz, mount: config.diskMounts[0], trends, containers: () => docker.containers(), cron: () => maintenance.status(), sessions: (w) => sessionsBetween(db, { hostId: config.hostId, ...w }), swapPeak: (w) => traceSwapPeak(db, { hostId: config.hostId, ...w }) },
				now
			),
		log: createLogger('alerts')
	});
	watchdogNotify = (n) => alerts.onWatchdog(n);
	if (startAlerts) alerts.start();
	// hosts registry (issue 15): an edited or removed host's cached connection is dropped
	const hostsRegistry = createHostsRegistry({ db, localHostId: config.hostId, secretKey: config.secretKey, previousSecretKey: config.previousSecretKey });
	hostsRegistry.onChange(forgetHost);
	if (config.previousSecretKey)
		void hostsRegistry.reseal().then(
			(moved) => log.info('hosts: credentials re-sealed under the current VMW_SECRET_KEY', { moved }),
			(err) => log.error('hosts: re-sealing under the current VMW_SECRET_KEY failed', { error: String(err) })
		);
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
			name: alertHost,
			summary: createLocalSummary({
				hostId: config.hostId,
				snapshot: () => currentSnapshot({ sampler, config }),
				score,
				containers: () => docker.containers(),
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
		health() {
			const s = sampler.stats();
			const fresh = isFresh(s.lastSampleAt, config.sampleIntervalMs);
			const samplerOk = s.running && fresh;
			const detail = samplerOk
				? `last sample ${new Date(s.lastSampleAt!).toISOString()}`
				: `${s.running ? 'running' : 'stopped'}; last sample ${s.lastSampleAt ? new Date(s.lastSampleAt).toISOString() : 'never'}${s.lastError ? `; ${s.lastError}` : ''}`;
			// Docker, Ollama and the cleanup runner are reported, but never make the app unhealthy.
			const run = maintenance.runner.active();
			// The cleanup runner is on demand: it is never what makes the app unhealthy.
			const cleanup = { ok: true, detail: run ? `cleanup ${run.mode}${run.dryRun ? ' (dry run)' : ''} running since ${run.startedAt}` : 'idle' };
			return { ok: samplerOk, services: { sampler: { ok: samplerOk, detail }, docker: docker.health(), watchdog: watchdog.health(), cleanup, ollama: ollamaWatcher.health(), deploys: deploys.health(), score: score.health(), alerts: alerts.health(), hub: hub.health() } };
		},
		async stop() {
			hub.stop();
			dockerHosts.stop();
			await score.stop();
			await sampler.stop();
			selfTests.stop();
			await watchdog.stop();
			await deploys.stop();
			await exitRecorder.stop();
			await runRecorder.stop();
			await docker.stop();
			await containerStats.stop();
			await ollamaWatcher.stop();
			await alerts.stop();
			metrics.stopLoopLag();
			await closeAllHosts();
			db.$client.close();
			if (current === services) current = null;
			log.info('services stopped');
		}
	};
	log.info('services started', { hostId: config.hostId, database: redactUrl(config.databaseUrl), procRoot: config.procRoot, mounts: config.diskMounts, auth: config.auth.enabled ? 'on' : 'off' });
	return services;
}
