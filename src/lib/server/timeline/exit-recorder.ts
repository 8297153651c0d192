// Records container exits vmwarden did not cause, and Docker's restarts after them, in
// timeline_events (decision 0029). Nothing else keeps them: the adapter's list shows the state
// now, the watchdog acts on health and keeps no exit history, and `actions` holds only what
// vmwarden did. This follows Docker's event stream (die and start, scoped by the same labels
// as every container view), the simplest durable source: a die event carries the exit code
// and the time to the nanosecond, and nothing is polled.
//   die    an exit, unless a vmwarden restart of that container (watchdog.restart or
//          containers.restart in `actions`) was under way: that restart is already listed
//   start  after an exit recorded here, with Docker's RestartCount above 0 (a manual
//          `docker start` resets it): the exit's row says "restarted by Docker"
// Exits while the stream is down are not seen (the next attach does not replay them: the
// adapter's API takes no `since`). Docker being down only pauses it.
import type { Db } from '../db';
import type { DockerApi } from '../docker';
import type { Logger } from '../log';
import { createDockerEventFollower } from '../docker/event-follower';
import { SELFTEST_LABEL } from '../watchdog/selftest';
import { exitEvent, markRestarted, recordEvents, type ContainerExit } from './events';

export interface DockerEventLine {
	Type?: string;
	Action?: string;
	id?: string;
	Actor?: { ID?: string; Attributes?: Record<string, string> };
	time?: number;
	timeNano?: number;
}

/** a vmwarden restart's die event comes after its intent row and before its outcome: slack for the clocks and the write (the watchdog's own-restart window allows 2 s too) */
const OWN_SLACK_MS = 2000;
/** a start this long after an exit is not Docker's restart of it */
const RESTART_WITHIN_MS = 15 * 60_000;

/** Whether vmwarden was restarting this container at `at` (its action row covers that time). */
export async function restartedByVmwarden(
	db: Db,
	hostId: string,
	name: string,
	at: number
): Promise<boolean> {
	const res = await db.$client.execute({
		sql: `SELECT 1 FROM actions WHERE action IN ('watchdog.restart', 'containers.restart') AND host_id = ? AND target = ?
				AND ts <= ? AND ts >= ? AND (ended_at IS NULL OR ended_at >= ?) LIMIT 1`,
		// an action older than an hour cannot be the one under way (a restart is time-boxed far below)
		args: [hostId, name, at + OWN_SLACK_MS, at - 3_600_000, at - OWN_SLACK_MS]
	});
	return res.rows.length > 0;
}

/**
 * The event handler, apart from the stream so specs drive it with held events. `restartCount`
 * asks Docker for the container's RestartCount (null when it is gone).
 */
export function createExitTracker({
	db,
	hostId,
	restartCount,
	log
}: {
	db: Db;
	hostId: string;
	restartCount: (id: string) => Promise<number | null>;
	log: Logger;
}) {
	/** the last exit recorded per container id, until Docker starts it again */
	const open = new Map<string, ContainerExit>();
	let recorded = 0;

	async function onEvent(e: DockerEventLine): Promise<void> {
		if (e.Type !== 'container' || (e.Action !== 'die' && e.Action !== 'start')) return;
		const id = e.Actor?.ID ?? e.id;
		if (!id) return;
		const attrs = e.Actor?.Attributes ?? {};
		if (attrs[SELFTEST_LABEL] !== undefined) return;
		const timeNano = e.timeNano ?? (e.time ?? 0) * 1e9;
		const at = Math.round(timeNano / 1e6);
		if (e.Action === 'die') {
			const name = attrs.name ?? id.slice(0, 12);
			if (await restartedByVmwarden(db, hostId, name, at)) return;
			const code = Number.parseInt(attrs.exitCode ?? '', 10);
			const x: ContainerExit = {
				at,
				timeNano,
				containerId: id,
				name,
				exitCode: Number.isFinite(code) ? code : null,
				stack: attrs['com.docker.compose.project'] ?? null
			};
			recorded += await recordEvents(db, [exitEvent(hostId, x)]);
			open.set(id, x);
			log.info('container exited', { container: name, exitCode: x.exitCode });
			return;
		}
		const x = open.get(id);
		if (!x) return;
		open.delete(id);
		if (at - x.at > RESTART_WITHIN_MS) return;
		if (((await restartCount(id)) ?? 0) > 0) await markRestarted(db, exitEvent(hostId, x, true));
	}

	return { onEvent, recorded: () => recorded };
}

export function createExitRecorder({
	api,
	db,
	hostId,
	log,
	labels = [],
	retryMs = 5000
}: {
	api: DockerApi;
	db: Db;
	hostId: string;
	log: Logger;
	labels?: string[];
	retryMs?: number;
}) {
	const tracker = createExitTracker({
		db,
		hostId,
		log,
		restartCount: async (id) => {
			try {
				return (await api.inspectContainer(id)).RestartCount ?? 0;
			} catch {
				return null;
			}
		}
	});
	const follower = createDockerEventFollower({
		api,
		events: ['die', 'start'],
		labels,
		onEvent: tracker.onEvent,
		what: 'exit recorder',
		retryMs,
		log
	});
	return {
		start: follower.start,
		stop: follower.stop,
		/** Docker answers again: re-attach now rather than after the backed-off wait. */
		retryNow: follower.retryNow,
		status: () => ({
			connected: follower.connected,
			recorded: tracker.recorded(),
			lastError: follower.lastError
		})
	};
}

export type ExitRecorder = ReturnType<typeof createExitRecorder>;
