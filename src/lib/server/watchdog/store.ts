// SQLite side of the watchdog: restart history (by compose project/service and container id),
// quarantines that survive an app restart, and self-test results.
import { and, desc, eq, gt, or } from 'drizzle-orm';
import type { Db } from '../db';
import { watchdogQuarantine, watchdogRestarts, watchdogSelfTests } from '../db/schema';

export type RestartRow = typeof watchdogRestarts.$inferSelect;
export type QuarantineRow = typeof watchdogQuarantine.$inferSelect;
export type SelfTestRow = typeof watchdogSelfTests.$inferSelect;

const COMPOSE_PROJECT = 'com.docker.compose.project';
const COMPOSE_SERVICE = 'com.docker.compose.service';
const COMPOSE_NUMBER = 'com.docker.compose.container-number';

/**
 * The history key: `compose:<project>/<service>/<number>` for a compose container (a
 * re-created container gets the same key, so it keeps its budget), else `name:<name>`.
 */
export function historyKey(labels: Record<string, string>, name: string): string {
	const project = labels[COMPOSE_PROJECT];
	const service = labels[COMPOSE_SERVICE];
	if (project && service) return `compose:${project}/${service}/${labels[COMPOSE_NUMBER] || '1'}`;
	return `name:${name.replace(/^\//, '')}`;
}

export function composeOf(labels: Record<string, string>) {
	return { project: labels[COMPOSE_PROJECT] ?? null, service: labels[COMPOSE_SERVICE] ?? null };
}

export function createWatchdogStore(db: Db, hostId: string) {
	return {
		async recordRestart(r: { key: string; containerId: string; containerName: string; labels: Record<string, string>; ts: number; reason: string; dryRun: boolean; outcome: 'ok' | 'error'; reactionMs?: number | null }) {
			const c = composeOf(r.labels);
			await db.insert(watchdogRestarts).values({
				hostId,
				key: r.key,
				containerId: r.containerId,
				containerName: r.containerName,
				composeProject: c.project,
				composeService: c.service,
				ts: r.ts,
				reason: r.reason,
				dryRun: r.dryRun,
				outcome: r.outcome,
				reactionMs: r.reactionMs ?? null
			});
		},

		/** Restarts (attempted, ok or not) of this key or this container id after `since`, for one mode. */
		async restartsOf({ key, containerId, since, dryRun }: { key: string; containerId: string; since: number; dryRun: boolean }): Promise<number[]> {
			const rows = await db
				.select({ ts: watchdogRestarts.ts })
				.from(watchdogRestarts)
				.where(and(eq(watchdogRestarts.hostId, hostId), eq(watchdogRestarts.dryRun, dryRun), gt(watchdogRestarts.ts, since), or(eq(watchdogRestarts.key, key), eq(watchdogRestarts.containerId, containerId))));
			return rows.map((r) => r.ts);
		},

		/** Every restart on this host after `since`, for one mode (the global cap). */
		async hostRestarts({ since, dryRun }: { since: number; dryRun: boolean }): Promise<number[]> {
			const rows = await db
				.select({ ts: watchdogRestarts.ts })
				.from(watchdogRestarts)
				.where(and(eq(watchdogRestarts.hostId, hostId), eq(watchdogRestarts.dryRun, dryRun), gt(watchdogRestarts.ts, since)));
			return rows.map((r) => r.ts);
		},

		async recentRestarts(limit = 50): Promise<RestartRow[]> {
			return db.select().from(watchdogRestarts).where(eq(watchdogRestarts.hostId, hostId)).orderBy(desc(watchdogRestarts.id)).limit(limit);
		},

		async quarantines(): Promise<QuarantineRow[]> {
			return db.select().from(watchdogQuarantine).where(eq(watchdogQuarantine.hostId, hostId));
		},

		async quarantine({ key, containerName, since, reason }: { key: string; containerName: string; since: number; reason: string }) {
			await db
				.insert(watchdogQuarantine)
				.values({ hostId, key, containerName, quarantinedSince: since, reason, releasedAt: null })
				.onConflictDoUpdate({ target: [watchdogQuarantine.hostId, watchdogQuarantine.key], set: { containerName, quarantinedSince: since, reason } });
		},

		async release({ key, containerName, at }: { key: string; containerName: string; at: number }) {
			await db
				.insert(watchdogQuarantine)
				.values({ hostId, key, containerName, quarantinedSince: null, reason: null, releasedAt: at })
				.onConflictDoUpdate({ target: [watchdogQuarantine.hostId, watchdogQuarantine.key], set: { quarantinedSince: null, reason: null, releasedAt: at } });
		},

		async startSelfTest({ trigger, at }: { trigger: 'manual' | 'schedule'; at: number }): Promise<number> {
			const [row] = await db.insert(watchdogSelfTests).values({ hostId, startedAt: at, trigger, outcome: 'running' }).returning({ id: watchdogSelfTests.id });
			return row.id;
		},

		async endSelfTest(id: number, r: { outcome: 'ok' | 'failed'; reactionMs: number | null; detail: string; at: number }) {
			await db.update(watchdogSelfTests).set({ outcome: r.outcome, reactionMs: r.reactionMs, detail: r.detail.slice(0, 1000), endedAt: r.at }).where(eq(watchdogSelfTests.id, id));
		},

		async selfTests(limit = 10): Promise<SelfTestRow[]> {
			return db.select().from(watchdogSelfTests).where(eq(watchdogSelfTests.hostId, hostId)).orderBy(desc(watchdogSelfTests.id)).limit(limit);
		}
	};
}

export type WatchdogStore = ReturnType<typeof createWatchdogStore>;
