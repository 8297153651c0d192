// The timeline's own rows (table timeline_events, decision 0029): facts no other table holds.
//   cleanup  every real (not dry) cleanup run that finished or was interrupted, with bytes freed
//   cron     a cron-run.sh run that exited non-zero, and a job the cron status calls missed
//   docker   a container exit vmwarden did not cause, and whether Docker restarted it
// The mapping from what the recorders saw to rows is pure and here; the recorders
// (run-recorder.ts, exit-recorder.ts) only gather and write. Writes are INSERT OR IGNORE on
// (host, kind, ref), so reading the same run twice records it once.
import { and, between, eq, like, lt, sql } from 'drizzle-orm';
import type { Db } from '../db';
import { timelineEvents } from '../db/schema';
import type { RunEntry } from '../maintenance/run-history';
import type { JobStatus } from '../maintenance/cron-status';
import { formatBytes } from '$lib/format';
import type { TimelineSeverity } from '$lib/timeline';

export type TimelineEventRow = typeof timelineEvents.$inferInsert;
export type TimelineEventKind = TimelineEventRow['kind'];

const SECOND = 1000;
const clock = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

function cleanupRow(hostId: string, e: RunEntry): TimelineEventRow {
	const severity: TimelineSeverity =
		e.status === 'ok' || e.status === 'held' ? 'info' : e.status === 'partial' ? 'WARN' : 'CRIT';
	const failedSteps = (e.steps ?? []).filter((s) => s.status === 'failed').map((s) => s.name);
	const freed = e.freedBytes ?? 0;
	const what =
		e.status === 'held'
			? 'held, freed nothing'
			: e.status === 'interrupted'
				? 'interrupted (killed?), no record written'
				: `${e.status === 'ok' ? '' : `${e.status}, `}freed ${formatBytes(freed)}`;
	const disk =
		e.diskBefore && e.diskAfter
			? `${e.diskAfter.mount} ${e.diskBefore.usedPct.toFixed(1)} % → ${e.diskAfter.usedPct.toFixed(1)} % used`
			: null;
	const detail = [
		e.job ? `cron job ${e.job}` : null,
		disk,
		failedSteps.length ? `failed: ${failedSteps.join(', ')}` : null,
		e.message
	]
		.filter(Boolean)
		.join(' · ');
	return {
		hostId,
		ts: Date.parse(e.start),
		kind: 'cleanup',
		ref: e.id,
		container: null,
		stack: null,
		severity,
		title: `cleanup ${e.mode ?? '?'}: ${what}`,
		detail: detail || null,
		bytes: e.status === 'interrupted' ? null : freed
	};
}

/**
 * Rows for the runs read from the history files (newest first, both streams) and the jobs the
 * cron status calls missed. Left out: dry runs and pending cleanups (not finished), successful
 * cron runs (nothing changed that the operator must hear of), and a failed cron-run.sh record
 * that wraps a cleanup run (the cleanup's own row says what failed, with its steps).
 */
export function runEvents(
	hostId: string,
	entries: RunEntry[],
	jobs: Pick<JobStatus, 'name' | 'state' | 'expectedRun' | 'reason'>[]
): TimelineEventRow[] {
	const out: TimelineEventRow[] = [];
	const cleanups = entries.filter((e) => e.source !== 'cron' && e.dryRun !== true);
	for (const e of entries) {
		if (e.source !== 'cron') {
			if (e.dryRun !== true && e.status !== 'pending') out.push(cleanupRow(hostId, e));
			continue;
		}
		if (e.exitCode === 0 || e.exitCode === null) continue;
		const [from, to] = [Date.parse(e.start) - SECOND, Date.parse(e.end ?? e.start) + SECOND];
		if (cleanups.some((c) => Date.parse(c.start) >= from && Date.parse(c.start) <= to)) continue;
		const tail = e.outputTail?.trim().split('\n').at(-1)?.slice(0, 200) ?? '';
		out.push({
			hostId,
			ts: Date.parse(e.start),
			kind: 'cron',
			ref: e.id,
			container: null,
			stack: null,
			severity: 'CRIT',
			title: `cron job ${e.job} failed (${e.message ?? `exit ${e.exitCode}`})`,
			detail:
				[
					e.durationMs !== null ? `ran ${Math.round(e.durationMs / SECOND)} s` : null,
					tail ? `last output: ${tail}` : null
				]
					.filter(Boolean)
					.join(' · ') || null,
			bytes: null
		});
	}
	for (const j of jobs) {
		if (j.state !== 'missed' || !j.expectedRun) continue;
		const expected = Date.parse(j.expectedRun);
		out.push({
			hostId,
			ts: expected,
			kind: 'cron',
			ref: `missed:${j.name}@${j.expectedRun}`,
			container: null,
			stack: null,
			severity: 'WARN',
			title: `cron job ${j.name} missed its ${clock(expected)} UTC run`,
			detail: j.reason,
			bytes: null
		});
	}
	return out;
}

export interface ContainerExit {
	/** epoch ms of the die event */
	at: number;
	/** the event's timeNano, for a ref that two exits in the same ms cannot share */
	timeNano: number;
	containerId: string;
	name: string;
	exitCode: number | null;
	/** compose project, when the container has one */
	stack: string | null;
}

/** The row for an exit Docker saw and vmwarden did not cause; `restarted` once Docker started it again. */
export function exitEvent(hostId: string, x: ContainerExit, restarted = false): TimelineEventRow {
	const code =
		x.exitCode === null
			? 'unknown code'
			: `code ${x.exitCode}${x.exitCode === 137 ? ', SIGKILL' : x.exitCode === 143 ? ', SIGTERM' : ''}`;
	return {
		hostId,
		ts: x.at,
		kind: 'docker',
		ref: `${x.containerId.slice(0, 12)}@${x.timeNano}`,
		container: x.name,
		stack: x.stack,
		severity: x.exitCode === 0 ? 'info' : 'WARN',
		title: `${x.name} exited (${code})${restarted ? ', restarted by Docker' : ''}`,
		detail: restarted
			? 'Docker restarted it (restart policy); vmwarden did not act'
			: 'seen in Docker’s event stream; not a vmwarden restart or stop',
		bytes: null
	};
}

/**
 * An exit read from the container's state (inspect) after a gap in Docker's events that the
 * replay could not cover (Docker's buffer overran, or dockerd restarted): the last exit only.
 */
export interface StateExit {
	/** epoch ms of State.FinishedAt (Docker's time of the exit, not an event's) */
	at: number;
	/** State.FinishedAt in ns since the epoch, as a string: the row's ref */
	finishedNs: string;
	containerId: string;
	name: string;
	exitCode: number | null;
	oomKilled: boolean;
	/** running now: started again after that exit */
	running: boolean;
	/** State's RestartCount: above 0, Docker's restart policy started it (a manual start resets it) */
	restartCount: number;
	stack: string | null;
}

/** The ref suffix of a row reconstructed from container state (a replayed die replaces it). */
export const FROM_STATE = ':state';

/**
 * The row for an exit reconstructed from state. Its ref (`<id 12>@<FinishedAt ns>:state`) never
 * equals an event's (`<id 12>@<timeNano>`): the die event is stamped after FinishedAt (22–35 ms on
 * the rig's dockerd 20.10), so the two are matched by time (`exitRowsNear`), not by ref.
 * `restarted` marks it afterwards, as for an event's row, when Docker starts it again.
 */
export function stateExitEvent(hostId: string, x: StateExit, restarted = false): TimelineEventRow {
	const code =
		x.exitCode === null
			? 'unknown code'
			: `code ${x.exitCode}${x.exitCode === 137 ? ', SIGKILL' : x.exitCode === 143 ? ', SIGTERM' : ''}`;
	const again =
		x.running || restarted
			? x.restartCount > 0 || restarted
				? ', restarted by Docker'
				: ', started again'
			: '';
	return {
		hostId,
		ts: x.at,
		kind: 'docker',
		ref: `${x.containerId.slice(0, 12)}@${x.finishedNs}${FROM_STATE}`,
		container: x.name,
		stack: x.stack,
		severity: x.exitCode === 0 && !x.oomKilled ? 'info' : 'WARN',
		title: `${x.name} exited (${code}${x.oomKilled ? ', OOM-killed' : ''})${again}`,
		detail:
			'reconstructed from the container’s state after a gap in Docker’s events: the time is ' +
			'Docker’s FinishedAt, and only the last exit is known (restarts within the gap may be missing)',
		bytes: null
	};
}

/**
 * The docker rows (from events or state) of this container whose time is within `windowMs` of
 * `at`: the same exit seen twice, once in the event stream and once in the container's state.
 */
export async function exitRowsNear(
	db: Db,
	hostId: string,
	containerId: string,
	at: number,
	windowMs: number
): Promise<{ ref: string; ts: number }[]> {
	return db
		.select({ ref: timelineEvents.ref, ts: timelineEvents.ts })
		.from(timelineEvents)
		.where(
			and(
				eq(timelineEvents.hostId, hostId),
				eq(timelineEvents.kind, 'docker'),
				between(timelineEvents.ts, at - windowMs, at + windowMs),
				like(timelineEvents.ref, `${containerId.slice(0, 12)}@%`)
			)
		);
}

/** Drops docker rows by ref (a reconstructed exit its replayed event replaced). */
export async function deleteExitRows(db: Db, hostId: string, refs: string[]): Promise<void> {
	for (const ref of refs)
		await db
			.delete(timelineEvents)
			.where(
				and(
					eq(timelineEvents.hostId, hostId),
					eq(timelineEvents.kind, 'docker'),
					eq(timelineEvents.ref, ref)
				)
			);
}

/** Writes rows; those already recorded (same host, kind, ref) are left as they are. Returns how many were new. */
export async function recordEvents(db: Db, rows: TimelineEventRow[]): Promise<number> {
	let added = 0;
	// a first read after downtime may bring a week of rows: insert in slices SQLite takes in one statement
	for (let i = 0; i < rows.length; i += 200) {
		const res = await db
			.insert(timelineEvents)
			.values(rows.slice(i, i + 200))
			.onConflictDoNothing();
		added += res.rowsAffected;
	}
	return added;
}

/** Marks a recorded exit as restarted by Docker (its title and detail say so). */
export async function markRestarted(db: Db, row: TimelineEventRow): Promise<boolean> {
	const res = await db
		.update(timelineEvents)
		.set({ title: row.title, detail: row.detail })
		.where(
			and(
				eq(timelineEvents.hostId, row.hostId),
				eq(timelineEvents.kind, 'docker'),
				eq(timelineEvents.ref, row.ref)
			)
		);
	return res.rowsAffected > 0;
}

/** The newest recorded ts of these kinds (the recorders read back from it), or null. */
export async function newestEventTs(
	db: Db,
	hostId: string,
	kinds: TimelineEventKind[]
): Promise<number | null> {
	const [row] = await db
		.select({ ts: sql<number | null>`max(${timelineEvents.ts})` })
		.from(timelineEvents)
		.where(and(eq(timelineEvents.hostId, hostId), sql`${timelineEvents.kind} IN ${kinds}`));
	return row?.ts ?? null;
}

/** Drops rows older than `beforeMs` (the history retention). */
export async function pruneEvents(db: Db, hostId: string, beforeMs: number): Promise<number> {
	const res = await db
		.delete(timelineEvents)
		.where(and(eq(timelineEvents.hostId, hostId), lt(timelineEvents.ts, beforeMs)));
	return res.rowsAffected;
}
