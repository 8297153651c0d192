// SQLite side of the watchdog: its mode, restart history (by compose project/service and
// container id), quarantines that survive an app restart, and self-test results.
import { and, asc, desc, eq, gt, or } from 'drizzle-orm';
import type { Db } from './index';
import { settings, watchdogQuarantine, watchdogRestarts, watchdogSelfTests } from './schema';
import type { WatchdogMode } from '../watchdog/policy';

export type RestartRow = typeof watchdogRestarts.$inferSelect;
export type QuarantineRow = typeof watchdogQuarantine.$inferSelect;
export type SelfTestRow = typeof watchdogSelfTests.$inferSelect;

const MODE_SETTING = 'watchdog.mode';

export function createWatchdogStore(db: Db, hostId: string) {
	return {
		/** The mode an operator set (it outlives a restart of the app); null: none, the configured one holds. */
		async mode(): Promise<WatchdogMode | null> {
			const [row] = await db.select().from(settings).where(eq(settings.key, MODE_SETTING));
			return row && (row.value === 'on' || row.value === 'off' || row.value === 'dry-run')
				? row.value
				: null;
		},

		async saveMode(mode: WatchdogMode, at: number) {
			await db
				.insert(settings)
				.values({ key: MODE_SETTING, value: mode, updatedAt: at })
				.onConflictDoUpdate({ target: settings.key, set: { value: mode, updatedAt: at } });
		},

		async recordRestart(r: {
			key: string;
			containerId: string;
			containerName: string;
			compose: { project: string | null; service: string | null };
			ts: number;
			reason: string;
			dryRun: boolean;
			outcome: 'ok' | 'error';
			reactionMs?: number | null;
		}) {
			await db.insert(watchdogRestarts).values({
				hostId,
				key: r.key,
				containerId: r.containerId,
				containerName: r.containerName,
				composeProject: r.compose.project,
				composeService: r.compose.service,
				ts: r.ts,
				reason: r.reason,
				dryRun: r.dryRun,
				outcome: r.outcome,
				reactionMs: r.reactionMs ?? null
			});
		},

		/** Restarts (attempted, ok or not) of this key or this container id after `since`, for one mode. */
		async restartsOf({
			key,
			containerId,
			since,
			dryRun
		}: {
			key: string;
			containerId: string;
			since: number;
			dryRun: boolean;
		}): Promise<number[]> {
			const rows = await db
				.select({ ts: watchdogRestarts.ts })
				.from(watchdogRestarts)
				.where(
					and(
						eq(watchdogRestarts.hostId, hostId),
						eq(watchdogRestarts.dryRun, dryRun),
						gt(watchdogRestarts.ts, since),
						or(eq(watchdogRestarts.key, key), eq(watchdogRestarts.containerId, containerId))
					)
				);
			return rows.map((r) => r.ts);
		},

		/** Every restart on this host after `since`, for one mode (the global cap). */
		async hostRestarts({ since, dryRun }: { since: number; dryRun: boolean }): Promise<number[]> {
			const rows = await db
				.select({ ts: watchdogRestarts.ts })
				.from(watchdogRestarts)
				.where(
					and(
						eq(watchdogRestarts.hostId, hostId),
						eq(watchdogRestarts.dryRun, dryRun),
						gt(watchdogRestarts.ts, since)
					)
				);
			return rows.map((r) => r.ts);
		},

		/** Every restart on this host after `since`, both modes, oldest first (the watchdog's memory at start). */
		async restartsSince(since: number): Promise<{ key: string; ts: number; dryRun: boolean }[]> {
			return db
				.select({
					key: watchdogRestarts.key,
					ts: watchdogRestarts.ts,
					dryRun: watchdogRestarts.dryRun
				})
				.from(watchdogRestarts)
				.where(and(eq(watchdogRestarts.hostId, hostId), gt(watchdogRestarts.ts, since)))
				.orderBy(asc(watchdogRestarts.ts), asc(watchdogRestarts.dryRun));
		},

		async recentRestarts(limit = 50): Promise<RestartRow[]> {
			return db
				.select()
				.from(watchdogRestarts)
				.where(eq(watchdogRestarts.hostId, hostId))
				.orderBy(desc(watchdogRestarts.id))
				.limit(limit);
		},

		async quarantines(): Promise<QuarantineRow[]> {
			return db.select().from(watchdogQuarantine).where(eq(watchdogQuarantine.hostId, hostId));
		},

		async quarantine({
			key,
			containerName,
			since,
			reason
		}: {
			key: string;
			containerName: string;
			since: number;
			reason: string;
		}) {
			await db
				.insert(watchdogQuarantine)
				.values({ hostId, key, containerName, quarantinedSince: since, reason, releasedAt: null })
				.onConflictDoUpdate({
					target: [watchdogQuarantine.hostId, watchdogQuarantine.key],
					set: { containerName, quarantinedSince: since, reason }
				});
		},

		async release({ key, containerName, at }: { key: string; containerName: string; at: number }) {
			await db
				.insert(watchdogQuarantine)
				.values({
					hostId,
					key,
					containerName,
					quarantinedSince: null,
					reason: null,
					releasedAt: at
				})
				.onConflictDoUpdate({
					target: [watchdogQuarantine.hostId, watchdogQuarantine.key],
					set: { quarantinedSince: null, reason: null, releasedAt: at }
				});
		},

		async startSelfTest({
			trigger,
			at
		}: {
			trigger: 'manual' | 'schedule';
			at: number;
		}): Promise<number> {
			const [row] = await db
				.insert(watchdogSelfTests)
				.values({ hostId, startedAt: at, trigger, outcome: 'running' })
				.returning({ id: watchdogSelfTests.id });
			return row.id;
		},

		async endSelfTest(
			id: number,
			r: { outcome: 'ok' | 'failed'; reactionMs: number | null; detail: string; at: number }
		) {
			await db
				.update(watchdogSelfTests)
				.set({
					outcome: r.outcome,
					reactionMs: r.reactionMs,
					detail: r.detail.slice(0, 1000),
					endedAt: r.at
				})
				.where(eq(watchdogSelfTests.id, id));
		},

		async selfTests(limit = 10): Promise<SelfTestRow[]> {
			return db
				.select()
				.from(watchdogSelfTests)
				.where(eq(watchdogSelfTests.hostId, hostId))
				.orderBy(desc(watchdogSelfTests.id))
				.limit(limit);
		}
	};
}

export type WatchdogStore = ReturnType<typeof createWatchdogStore>;
