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
// The stream is shared with the deploy recorder (docker/event-follower.ts, one per Docker
// connection). A short gap in it (a blip, the socket proxy restarted) loses nothing: the re-attach
// replays from the last event seen, and a vmwarden start replays from the newest exit stored (at
// most an hour back), as far as Docker's event buffer reaches. A replayed exit is recorded once:
// its row's ref is the container and the event's timeNano (INSERT OR IGNORE). Docker being down
// only pauses it.
// A longer gap (Docker's buffer is its last 256 events, ~21 s on the reference stack; a restarted
// dockerd holds none) is covered from container state: every attach inspects the containers in
// scope and records each exit whose FinishedAt is at or after where the replay starts and that no
// row holds yet (same container, within 2 s), marked as reconstructed; the last exit only, at
// Docker's FinishedAt. The attach reconciles before its replay is read (Docker marks nowhere where
// its replay ends), so a replayed die of the same exit replaces the reconstructed row.
import type { Db } from '../db';
import type { DockerApi } from '../docker';
import type { Logger } from '../log';
import {
	createDockerEventFollower,
	sharedOrOwnFollower,
	type DockerEventConsumer,
	type DockerEventFollower,
	type DockerEventLine
} from '../docker/event-follower';
import { SELFTEST_LABEL } from '../watchdog/selftest';
import type { RawContainerInspect } from '../docker/api';
import { ContainerGoneError } from '../docker/api';
import {
	deleteExitRows,
	exitEvent,
	exitRowsNear,
	FROM_STATE,
	markRestarted,
	newestEventTs,
	recordEvents,
	stateExitEvent,
	type ContainerExit,
	type StateExit,
	type TimelineEventRow
} from './events';

export type { DockerEventLine } from '../docker/event-follower';

/** a vmwarden restart's die event comes after its intent row and before its outcome: slack for the clocks and the write (the watchdog's own-restart window allows 2 s too) */
const OWN_SLACK_MS = 2000;
/** a start this long after an exit is not Docker's restart of it */
const RESTART_WITHIN_MS = 15 * 60_000;
/**
 * A die event and the container's FinishedAt within this of each other are the same exit. Docker
 * stamps the event after FinishedAt (moby handleContainerExit: containerd's exit time, then the
 * task's delete and the streams' wait, each time-boxed at 2 s): 22–35 ms on the rig's dockerd
 * 20.10. A crash loop exiting twice within it shows its exits from events anyway (each die is
 * recorded; only a reconstructed row is replaced).
 */
const SAME_EXIT_MS = 2000;

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
	/** the last exit recorded per container id, until Docker starts it again: its time and its row, restarted */
	const open = new Map<string, { at: number; restartedRow: () => TimelineEventRow }>();
	let recorded = 0;
	let reconstructed = 0;

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
			// a replay brings an exit recorded before again: the same row, left as it is
			const added = await recordEvents(db, [exitEvent(hostId, x)]);
			// the same exit reconstructed from state (an attach reconciles before its replay is
			// read): the event's row is exact, so it replaces that one
			const fromState = (await exitRowsNear(db, hostId, id, at, SAME_EXIT_MS))
				.map((r) => r.ref)
				.filter((ref) => ref.endsWith(FROM_STATE));
			if (fromState.length) await deleteExitRows(db, hostId, fromState);
			recorded += added;
			open.set(id, { at, restartedRow: () => exitEvent(hostId, x, true) });
			if (added && !fromState.length)
				log.info('container exited', { container: name, exitCode: x.exitCode });
			return;
		}
		const x = open.get(id);
		if (!x) return;
		open.delete(id);
		if (at - x.at > RESTART_WITHIN_MS) return;
		if (((await restartCount(id)) ?? 0) > 0) await markRestarted(db, x.restartedRow());
	}

	/**
	 * An exit read from the container's state after a gap in the events. Not recorded when the
	 * stream (a replay, a previous reconcile) already holds that exit, or vmwarden was restarting
	 * the container then. Returns whether a row was added.
	 */
	async function onStateExit(x: StateExit): Promise<boolean> {
		if (await restartedByVmwarden(db, hostId, x.name, x.at)) return false;
		if ((await exitRowsNear(db, hostId, x.containerId, x.at, SAME_EXIT_MS)).length) return false;
		const added = await recordEvents(db, [stateExitEvent(hostId, x)]);
		if (!added) return false;
		recorded += added;
		reconstructed += added;
		// left down: a later start by Docker's policy marks it, as for an event's exit
		if (!x.running)
			open.set(x.containerId, { at: x.at, restartedRow: () => stateExitEvent(hostId, x, true) });
		log.info('container exited (from its state, after a gap in Docker events)', {
			container: x.name,
			exitCode: x.exitCode,
			finishedAt: new Date(x.at).toISOString()
		});
		return true;
	}

	return { onEvent, onStateExit, recorded: () => recorded, reconstructed: () => reconstructed };
}

/**
 * State.FinishedAt ("2026-12-08T03:04:31.092928968Z", RFC 3339 with up to 9 fraction digits) as
 * ns since the epoch (a string: past a double's precision) and ms; null for Docker's zero time
 * ("0001-01-01T00:00:00Z": never stopped) or anything unreadable.
 */
export function finishedAtOf(s: string | undefined): { ns: string; ms: number } | null {
	const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(s ?? '');
	if (!m) return null;
	const sec = Date.parse(`${m[1]}Z`);
	if (!Number.isFinite(sec) || sec <= 0) return null;
	const frac = (m[2] ?? '').padEnd(9, '0');
	const ns = BigInt(sec) * 1_000_000n + BigInt(frac);
	return { ns: ns.toString(), ms: Number(ns / 1_000_000n) };
}

/** The exit a container's state shows, when it finished at or after `sinceMs`; null otherwise. */
export function stateExitOf(c: RawContainerInspect, sinceMs: number): StateExit | null {
	const finished = finishedAtOf(c.State?.FinishedAt);
	if (!finished || finished.ms < sinceMs) return null;
	const labels = c.Config?.Labels ?? {};
	return {
		at: finished.ms,
		finishedNs: finished.ns,
		containerId: c.Id,
		name: c.Name.replace(/^\//, ''),
		exitCode: typeof c.State.ExitCode === 'number' ? c.State.ExitCode : null,
		oomKilled: c.State.OOMKilled === true,
		running: c.State.Running === true || c.State.Restarting === true,
		restartCount: c.RestartCount ?? 0,
		stack: labels['com.docker.compose.project'] ?? null
	};
}

/** inspects at once while reconciling: ~40 containers on the reference stack, the daemon shared */
const INSPECT_CONCURRENCY = 4;

/**
 * On every attach: the exits in the gap Docker's replay may not cover (its buffer holds its last
 * 256 events, ~21 s on the reference stack; a restarted dockerd holds none), read from each
 * container's state. Only what finished at or after `sinceMs` (where the replay starts: 1 s
 * before the newest event seen, or the newest stored exit on the first attach, at most an hour
 * back) and the stream does not hold already. A container gone since is not seen; one restarted
 * several times in the gap shows its last exit only. Docker unanswering fails the attach (the
 * follower retries it); a container removed meanwhile is skipped.
 */
export async function reconcileExits({
	api,
	labels,
	sinceMs,
	onStateExit
}: {
	api: Pick<DockerApi, 'listContainers' | 'inspectContainer'>;
	labels: string[];
	sinceMs: number;
	onStateExit: (x: StateExit) => Promise<boolean>;
}): Promise<number> {
	const ids = (await api.listContainers({ all: true, labels }))
		.filter((c) => c.Labels?.[SELFTEST_LABEL] === undefined)
		.map((c) => c.Id);
	let added = 0;
	for (let i = 0; i < ids.length; i += INSPECT_CONCURRENCY) {
		const states = await Promise.all(
			ids.slice(i, i + INSPECT_CONCURRENCY).map((id) =>
				api.inspectContainer(id).catch((err: unknown) => {
					if (err instanceof ContainerGoneError) return null;
					throw err;
				})
			)
		);
		for (const c of states) {
			const x = c && stateExitOf(c, sinceMs);
			if (x && (await onStateExit(x))) added++;
		}
	}
	return added;
}

/**
 * With `follower` (services.ts: one per Docker connection, started and stopped on its own) the
 * recorder subscribes to it; without, it follows Docker on a stream of its own, which its start
 * and stop drive.
 */
export function createExitRecorder({
	api,
	db,
	hostId,
	log,
	labels = [],
	retryMs = 5000,
	follower
}: {
	api: DockerApi;
	db: Db;
	hostId: string;
	log: Logger;
	labels?: string[];
	retryMs?: number;
	follower?: DockerEventFollower;
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
	const consumer: DockerEventConsumer = {
		what: 'exit recorder',
		events: ['die', 'start'],
		onEvent: tracker.onEvent,
		// every attach, before its replay is read: exits the replay cannot bring (a gap longer than
		// Docker's buffer); a replayed die of the same exit then replaces the reconstructed row
		onAttached: async ({ sinceMs }) => {
			if (sinceMs === null) return;
			await reconcileExits({ api, labels, sinceMs, onStateExit: tracker.onStateExit });
		},
		// the first attach replays from the newest exit stored: those while vmwarden was down
		resumeFrom: () => newestEventTs(db, hostId, ['docker'])
	};
	const stream = sharedOrOwnFollower(follower, () =>
		createDockerEventFollower({ api, labels, what: 'exit recorder', retryMs, log })
	);
	const { events } = stream;
	events.subscribe(consumer);
	return {
		start: stream.start,
		stop: stream.stop,
		status: () => ({
			connected: events.connected,
			recorded: tracker.recorded(),
			/** of those, reconstructed from container state on an attach */
			reconstructed: tracker.reconstructed(),
			lastError: events.lastError
		})
	};
}

export type ExitRecorder = ReturnType<typeof createExitRecorder>;
