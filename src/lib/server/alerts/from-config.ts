// The alerts service as this app runs it (issue 14): its settings from the config (VMW_ALERT*,
// VMW_TELEGRAM_*, VMW_WEBHOOK_*, VMW_DIGEST*, VMW_DAILY_HEALTH_TIME), what it observes and
// what the weekly digest says from the running services.
import { hostname } from 'node:os';
import type { Config } from '../config';
import type { Db } from '../db';
import type { Sampler } from '../host/sampler';
import type { DockerAdapter } from '../docker';
import type { StatsCollector } from '../docker/stats-collector';
import type { Maintenance } from '../maintenance/service';
import type { Trends } from '../trends/trends';
import type { PromClient } from '../prometheus/client';
import type { Resources } from '../resources/report';
import { createLogger } from '../log';
import { createAlerts, type Alerts } from './service';
import { createObserver } from './observe';
import { liveContainers, traceMemoryPressure, traceSwapPeak } from '../memory/trace';
import { createTelegramSender, readTelegramEnv } from '../notify/telegram';
import { createWebhookSender } from '../notify/webhook';
import { gatherDigest } from '../digest/data';
import { sessionsBetween } from '../ollama/usage';
import { currentSnapshot } from '../health/current';

export interface AlertsSources {
	config: Config;
	db: Db;
	sampler: Sampler;
	docker: DockerAdapter;
	/** the containers' live readings: the memory trace's end beside the sampler's */
	containerStats: StatsCollector;
	maintenance: Maintenance;
	trends: Trends;
	/** null without VMW_PROMETHEUS_URL */
	prom: PromClient | null;
	resources: Resources;
}

/** The name messages (and the hub's own row) carry: VMW_ALERT_HOST_NAME, else the machine's name for the default host id, else the host id. */
export function alertHostName(config: Config): string {
	return config.alerts.hostName ?? (config.hostId === 'local' ? hostname() : config.hostId);
}

export function createAlertsFromConfig({
	config,
	db,
	sampler,
	docker,
	containerStats,
	maintenance,
	trends,
	prom,
	resources
}: AlertsSources): Alerts {
	const a = config.alerts;
	const host = alertHostName(config);
	return createAlerts({
		db,
		hostId: config.hostId,
		host,
		enabled: a.enabled,
		intervalMs: a.intervalMs,
		thresholds: {
			...config.thresholds,
			stealForMs: a.stealForMs,
			diskFillPct: a.diskFillPct,
			diskFillDays: a.diskFillDays,
			unreachableForMs: a.unreachableForMs,
			hysteresis: a.hysteresis
		},
		digestThresholds: { ...config.thresholds, stealEscalatePct: a.stealEscalatePct },
		configMutes: a.mute,
		tz: a.tz,
		dailyAt: a.dailyAt,
		digest: a.digest,
		telegram: createTelegramSender({
			apiUrl: a.telegramApiUrl,
			credentials: () => readTelegramEnv(a.telegramEnvFile),
			timeoutMs: a.telegramTimeoutMs,
			log: createLogger('telegram')
		}),
		webhook: a.webhookUrl
			? createWebhookSender({ url: a.webhookUrl, secret: a.webhookSecret })
			: null,
		observe: createObserver({
			sample: () => sampler.latest(),
			maxSampleAgeMs: Math.max(3 * config.sampleIntervalMs, 30_000),
			containers: () => docker.containers(),
			dockerAsked: () => docker.status().refreshes > 0 || docker.status().lastErrorAt !== null,
			cron: () => maintenance.status(),
			trends,
			diskFillPct: a.diskFillPct,
			prometheusUp: prom
				? async () => (await prom.query('vector(1)')).state !== 'unavailable'
				: null,
			// the write figures only: the memory advice is the resources page's
			resources: { report: () => resources.io() },
			memoryTrace: (now, current) =>
				traceMemoryPressure(db, {
					hostId: config.hostId,
					toMs: now,
					current,
					currentContainers: liveContainers(containerStats.latest().values())
				})
		}),
		snapshot: () => currentSnapshot({ sampler, config }),
		digestData: (now) =>
			gatherDigest(
				{
					host,
					tz: a.tz,
					mount: config.diskMounts[0],
					trends,
					containers: () => docker.containers(),
					cron: () => maintenance.status(),
					sessions: (w) => sessionsBetween(db, { hostId: config.hostId, ...w }),
					swapPeak: (w) => traceSwapPeak(db, { hostId: config.hostId, ...w })
				},
				now
			),
		log: createLogger('alerts')
	});
}
