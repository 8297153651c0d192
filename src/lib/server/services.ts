// Owns the background services' lifecycle: started once from hooks.server.ts `init`, stopped on SIGTERM.
import type { Registry } from 'prom-client';
import type { Config } from './config';
import { openDb, type Db } from './db';
import { createHistoryStore, type SqliteHistoryStore } from './db/history-store';
import { createAuth, type Auth } from './auth/auth';
import { createSampler } from './host/sampler';
import { createMetrics } from './metrics';
import { isFresh } from './health/snapshot';
import { createLogger, redactUrl, setLogLevel } from './log';
import { markInterruptedActions } from './audit/actions';
import { createMaintenance, type Maintenance } from './maintenance/service';
import { registerMaintenanceMetrics } from './maintenance/metrics';

export interface Services {
	config: Config;
	db: Db;
	auth: Auth;
	sampler: ReturnType<typeof createSampler>;
	history: SqliteHistoryStore;
	metrics: Registry;
	maintenance: Maintenance;
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
export async function createServices(config: Config, { startSampler = true }: { startSampler?: boolean } = {}): Promise<Services> {
	const log = createLogger('services');
	const db = await openDb({ url: config.databaseUrl, migrationsDir: config.migrationsDir });
	const interrupted = await markInterruptedActions(db);
	if (interrupted) log.warn(`${interrupted} action(s) were interrupted by the last stop; marked unknown`);
	const history = createHistoryStore(db, config.hostId);
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
		history,
		historyRetentionMs: config.historyRetentionMs,
		log: createLogger('sampler')
	});
	if (startSampler) await sampler.start();
	const metrics = createMetrics({ latest: () => sampler.latest(), thresholds: config.thresholds, hostId: config.hostId });
	const maintenance = createMaintenance({ config, db, log: createLogger('maintenance') });
	registerMaintenanceMetrics(metrics, () => maintenance.status());

	const services: Services = {
		config,
		db,
		auth,
		sampler,
		history,
		metrics,
		maintenance,
		startedAt: Date.now(),
		health() {
			const s = sampler.stats();
			const fresh = isFresh(s.lastSampleAt, config.sampleIntervalMs);
			const samplerOk = s.running && fresh;
			const detail = samplerOk
				? `last sample ${new Date(s.lastSampleAt!).toISOString()}`
				: `${s.running ? 'running' : 'stopped'}; last sample ${s.lastSampleAt ? new Date(s.lastSampleAt).toISOString() : 'never'}${s.lastError ? `; ${s.lastError}` : ''}`;
			const run = maintenance.runner.active();
			// The cleanup runner is on demand: it is never what makes the app unhealthy.
			const cleanup = { ok: true, detail: run ? `cleanup ${run.mode}${run.dryRun ? ' (dry run)' : ''} running since ${run.startedAt}` : 'idle' };
			return { ok: samplerOk, services: { sampler: { ok: samplerOk, detail }, cleanup } };
		},
		async stop() {
			await sampler.stop();
			db.$client.close();
			if (current === services) current = null;
			log.info('services stopped');
		}
	};
	log.info('services started', { hostId: config.hostId, database: redactUrl(config.databaseUrl), procRoot: config.procRoot, mounts: config.diskMounts, auth: config.auth.enabled ? 'on' : 'off' });
	return services;
}
