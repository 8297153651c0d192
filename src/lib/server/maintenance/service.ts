// The maintenance domain as the app uses it: cron status, history and dashboard runs.
// Started from services.ts; routers call these functions and map errors.
import path from 'node:path';
import type { Config } from '../config';
import { scriptEnv } from '../config';
import type { Db } from '../db';
import { recordAction, type ActionIntent } from '../audit/actions';
import type { Logger } from '../log';
import { readCrontabs } from './crontab-sources';
import { entriesForJob } from './cron-status';
import { readHistory, type RunEntry } from './run-history';
import { createCleanupRunner, RunConflictError, type RunOutcome } from './runner';
import { createStatusReader } from './status';
import type { CleanupMode } from './crontab';

export class UnknownJobError extends Error {}

export function createMaintenance({ config, db, log }: { config: Config; db: Db; log: Logger }) {
	const logDir = config.logDir;
	const m = config.maintenance;

	async function newestCleanup(limit: number): Promise<RunEntry[]> {
		return (await readHistory({ logDir, limit, streams: { cron: false } })).entries;
	}

	const runner = createCleanupRunner({
		scriptsDir: config.scriptsDir,
		runner: m.scriptRunner,
		lockFile: m.cleanupLockFile,
		// direct: the script writes where the app reads. nsenter: VMW_LOG_DIR is the app's view
		// (a mount such as /host/var/log) and means nothing on the host: the script keeps its own.
		env: scriptEnv(
			m.scriptRunner === 'direct'
				? { VMW_LOG_DIR: logDir, VMW_CLEANUP_LOCK_FILE: m.cleanupLockFile }
				: { VMW_CLEANUP_LOCK_FILE: m.cleanupLockFile }
		),
		async findRecord(scriptRunId, startedAtMs) {
			const entries = await newestCleanup(5);
			return (
				entries.find((e) =>
					scriptRunId ? e.id === scriptRunId : Date.parse(e.start) >= startedAtMs - 1000
				) ?? null
			);
		},
		async describeHolder() {
			const [newest] = await newestCleanup(1).catch(() => []);
			if (newest?.status === 'pending')
				return `a ${newest.mode} ${newest.dryRun ? 'dry run' : 'cleanup'} started at ${newest.start}${newest.pid ? ` (pid ${newest.pid})` : ''}, probably by cron`;
			return 'another process (cron, or a run from a shell)';
		},
		log
	});

	const status = createStatusReader({
		logDir,
		crontabs: m.crontabs,
		defaultTz: m.cronTz,
		rootfs: config.rootfs,
		graceMs: m.graceMs,
		cronRunPath: path.resolve(config.scriptsDir, 'cron-run.sh'),
		lockHeld: () => runner.lockHeld()
	});

	return {
		runner,
		/** For /healthz: the cleanup runner is on demand, reported and never what makes the app unhealthy. */
		health(): { ok: boolean; detail: string } {
			const run = runner.active();
			return {
				ok: true,
				detail: run
					? `cleanup ${run.mode}${run.dryRun ? ' (dry run)' : ''} running since ${run.startedAt}`
					: 'idle'
			};
		},
		status: (now?: Date) => status.status(now),
		clearStatusCache: () => status.clearCache(),

		/** One job's runs (or every run without a job), newest first. */
		async history({ job, limit, cursor }: { job?: string; limit: number; cursor?: string | null }) {
			let filter: ((e: RunEntry) => boolean) | undefined;
			if (job !== undefined) {
				const set = await readCrontabs({
					specs: m.crontabs,
					defaultTz: m.cronTz,
					rootfs: config.rootfs
				});
				const found = set.jobs.find((j) => j.name === job);
				// A job no longer in the crontab may still have cron-run.sh records.
				const cleanupMode =
					found?.cleanupMode ??
					(/^cleanup-(standard|weekly|full)$/.exec(job)?.[1] as CleanupMode | undefined) ??
					null;
				filter = (e) => entriesForJob({ name: job, cleanupMode }, [e]).length > 0;
			}
			const page = await readHistory({ logDir, limit, cursor, filter });
			return {
				entries: page.entries,
				nextCursor: page.nextCursor,
				malformed: page.stats.malformed,
				unreadable: page.stats.unreadable
			};
		},

		/**
		 * Starts vm-cleanup.sh; resolves when it has started (or rejects with RunConflictError /
		 * ScriptMissingError). The action row gets its outcome when the script exits.
		 */
		async startCleanup({
			mode,
			dryRun,
			intent
		}: {
			mode: CleanupMode;
			dryRun: boolean;
			intent: Omit<ActionIntent, 'action' | 'target' | 'input'>;
		}): Promise<{ runId: string }> {
			let started!: (v: { runId: string }) => void;
			let failed!: (e: unknown) => void;
			const startedP = new Promise<{ runId: string }>(
				(res, rej) => ((started = res), (failed = rej))
			);
			const recorded = recordAction(
				db,
				{ ...intent, action: 'maintenance.run', target: 'vm-cleanup.sh', input: { mode, dryRun } },
				async () => {
					const h = await runner.start({ mode, dryRun, actor: intent.actor });
					started({ runId: h.runId });
					const result = await h.done;
					if (!(['ok', 'partial', 'held'] as RunOutcome[]).includes(result.outcome)) {
						throw new Error(
							`${mode}${dryRun ? ' dry run' : ''}: ${result.outcome}, exit ${result.exitCode ?? 'none'}${result.record?.message ? `: ${result.record.message}` : ''}`
						);
					}
					return result;
				},
				(r) =>
					`${mode}${dryRun ? ' dry run' : ''}: ${r.outcome}, exit ${r.exitCode}, ${dryRun ? 'would free' : 'freed'} ${r.record?.freedBytes ?? 0} bytes${r.record ? ` (run ${r.record.id})` : ''}`
			);
			recorded.then(
				() => status.clearCache(),
				(err) => {
					status.clearCache();
					failed(err);
					if (!(err instanceof RunConflictError))
						log.warn('cleanup run failed', {
							err: err instanceof Error ? err.message : String(err)
						});
				}
			);
			return startedP;
		}
	};
}

export type Maintenance = ReturnType<typeof createMaintenance>;
