// OOM kills from the three places they show: the watchdog's records of Docker `oom` events
// (actions table, action 'watchdog.oom'), the inspect's State.OOMKilled (the main process was
// killed; dated by FinishedAt), and the cgroup's own count (v2 memory.events oom_kill, v1
// memory.oom_control oom_kill) which also counts a child process killed while the container
// kept running. Counts from the cgroup are since the container started; they add only the
// kills the event records do not already cover.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { and, eq, gte } from 'drizzle-orm';
import type { Db } from '../db';
import { actions } from '../db/schema';
import {
	detectLayout,
	findContainerDir,
	parseKeyValues,
	type CgroupLayout
} from '../docker/cgroup';
import type { Availability } from '../availability';
import type { ContainerInfo } from '../docker/model';
import type { OomKill } from './advice';

/**
 * The kernel's OOM-kill count of a container by id (the watchdog's OOM counter): its cgroup under
 * `cgroupRoot` (layout detected on first use), its parent from the Docker list (last good while
 * Docker is down).
 */
export function createOomKillReader({
	cgroupRoot,
	containers
}: {
	cgroupRoot: string;
	containers: () => Availability<ContainerInfo[]>;
}): (id: string) => number | null {
	let layout: CgroupLayout | null = null;
	return (id) => {
		layout ??= detectLayout(cgroupRoot);
		const listed = containers();
		const parent =
			(listed.state === 'ok' ? listed.data : (listed.lastGood ?? [])).find((c) => c.id === id)
				?.cgroupParent ?? '';
		return readCgroupOomKills(layout, id, parent);
	};
}

/** oom_kill from v2 memory.events or v1 memory.oom_control; null when the file lacks it. */
export function parseOomKillCount(text: string): number | null {
	return parseKeyValues(text).get('oom_kill') ?? null;
}

export function readCgroupOomKills(
	layout: CgroupLayout,
	id: string,
	cgroupParent: string,
	read: (f: string) => string = (f) => readFileSync(f, 'utf8')
): number | null {
	try {
		const rel = findContainerDir(layout, id, cgroupParent);
		if (!rel) return null;
		const file =
			layout.version === 2
				? path.join(layout.root, rel, 'memory.events')
				: path.join(layout.controllers!.memory, rel, 'memory.oom_control');
		return parseOomKillCount(read(file));
	} catch {
		return null;
	}
}

export interface RecordedOom {
	at: number;
	/** container name at the time */
	target: string | null;
	/** the watchdog's key, compose:<project>/<service>/<n> or name:<name> */
	watchdogKey: string | null;
}

/** The watchdog's OOM records since `sinceMs`. */
export async function recordedOoms(
	db: Db,
	hostId: string,
	sinceMs: number
): Promise<RecordedOom[]> {
	const rows = await db
		.select({ ts: actions.ts, target: actions.target, input: actions.input })
		.from(actions)
		.where(
			and(eq(actions.hostId, hostId), eq(actions.action, 'watchdog.oom'), gte(actions.ts, sinceMs))
		);
	return rows.map((r) => {
		let watchdogKey: string | null = null;
		try {
			const k = (JSON.parse(r.input ?? 'null') as { key?: unknown } | null)?.key;
			watchdogKey = typeof k === 'string' ? k : null;
		} catch {
			/* an unreadable input: match by name only */
		}
		return { at: r.ts, target: r.target, watchdogKey };
	});
}

/** history key "<project>/<service>" or name -> does this watchdog record belong to it */
function sameContainer(
	r: RecordedOom,
	c: { name: string; stack: string | null; service: string | null }
): boolean {
	if (r.target === c.name) return true;
	if (!r.watchdogKey) return false;
	if (c.stack && c.service) return r.watchdogKey.startsWith(`compose:${c.stack}/${c.service}/`);
	return r.watchdogKey === `name:${c.name}`;
}

/**
 * One container's OOM kills: the recorded events, plus the inspect's OOMKilled when no event
 * lies within a minute of its FinishedAt, plus cgroup kills beyond the events since it started.
 */
export function oomKillsOf(
	c: {
		name: string;
		stack: string | null;
		service: string | null;
		oomKilled: boolean;
		finishedAt: number | null;
		startedAt: number | null;
	},
	recorded: RecordedOom[],
	cgroupCount: number | null,
	now: number
): OomKill[] {
	const kills: OomKill[] = recorded
		.filter((r) => sameContainer(r, c))
		.map((r) => ({ at: r.at, source: 'docker-event' as const }));
	if (
		c.oomKilled &&
		c.finishedAt !== null &&
		!kills.some((k) => Math.abs(k.at - c.finishedAt!) <= 60_000)
	)
		kills.push({ at: c.finishedAt, source: 'inspect' });
	if (cgroupCount !== null && cgroupCount > 0) {
		const sinceStart = kills.filter((k) => c.startedAt === null || k.at >= c.startedAt).length;
		for (let i = sinceStart; i < cgroupCount; i++) kills.push({ at: now, source: 'memory.events' });
	}
	return kills.sort((a, b) => a.at - b.at);
}
