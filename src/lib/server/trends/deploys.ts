// Deploy markers: Docker container create/start events whose image id is new for that compose
// service (or, outside compose, that container name). Recorded in SQLite (table deploys) and
// drawn on the trend charts so a dip can be tied to a release.
//
// The recorder follows GET /events (type=container, event=create|start), on the stream it shares
// with the exit recorder (docker/event-follower.ts). On every (re)connect it lists the containers
// first: the image id each key runs becomes the baseline, and a key whose image changed while the
// stream was down is recorded then, at the container's creation time. The follower then replays
// the events of the gap (decision 0031): those from before a key's newest listed container are
// history the listing has already told, and are skipped (else a replayed older create would be
// recorded as a deploy back to the older image). Docker being down only pauses it (retry every
// `retryMs`); it never fails the app.
import { and, asc, eq, gte, lte } from 'drizzle-orm';
import type { DeployMarker } from '$lib/trends';
import type { Db } from '../db';
import { deploys } from '../db/schema';
import {
	createDockerEventFollower,
	sharedOrOwnFollower,
	type DockerEventFollower,
	type DockerEventLine
} from '../docker/event-follower';
import type { DockerApi } from '../docker';
import type { Logger } from '../log';

export interface DeployRecord {
	ts: number;
	key: string;
	container: string;
	image: string;
	imageId: string;
	previousImageId: string | null;
}

/** The compose service, else the container name (a re-created container keeps its key). */
export function deployKey(name: string, labels: Record<string, string> | undefined): string {
	const project = labels?.['com.docker.compose.project'];
	const service = labels?.['com.docker.compose.service'];
	return project && service ? `${project}/${service}` : name.replace(/^\//, '');
}

/**
 * Pure: is this container, running `imageId`, a deploy given what each key ran before? Updates
 * `known`. A key never seen before is a deploy (a new service) unless `baseline` is set (the
 * first listing after start-up only learns what runs).
 */
export function noteImage(
	known: Map<string, string>,
	seen: { ts: number; key: string; container: string; image: string; imageId: string },
	{ baseline = false } = {}
): DeployRecord | null {
	const previous = known.get(seen.key);
	known.set(seen.key, seen.imageId);
	if (previous === seen.imageId || (baseline && previous === undefined)) return null;
	return { ...seen, previousImageId: previous ?? null };
}

export async function deploysInRange(
	db: Db,
	{ hostId, fromMs, toMs }: { hostId: string; fromMs: number; toMs: number }
): Promise<DeployMarker[]> {
	const rows = await db
		.select()
		.from(deploys)
		.where(and(eq(deploys.hostId, hostId), gte(deploys.ts, fromMs), lte(deploys.ts, toMs)))
		.orderBy(asc(deploys.ts))
		.limit(500);
	return rows.map((r) => ({ atMs: r.ts, container: r.container, image: r.image }));
}

/**
 * `labels` (VMW_CONTAINER_LABELS: `key` or `key=value`, all must match) scopes the recorder as
 * it scopes every container view: Docker filters both the listing and the event stream. With
 * `follower` (services.ts: one per Docker connection, with the same labels, started and stopped on
 * its own) the recorder subscribes to it; without, it follows Docker on a stream of its own, which
 * its start and stop drive.
 */
export function createDeployRecorder({
	api,
	db,
	hostId,
	log,
	labels = [],
	retryMs = 5000,
	now = Date.now,
	follower
}: {
	api: DockerApi;
	db: Db;
	hostId: string;
	log: Logger;
	labels?: string[];
	retryMs?: number;
	now?: () => number;
	follower?: DockerEventFollower;
}) {
	const known = new Map<string, string>();
	/** per key, epoch ms: an event before it is from before the newest container the last listing showed */
	const listedUpTo = new Map<string, number>();
	let listedOnce = false;
	let recorded = 0;

	async function record(d: DeployRecord) {
		await db.insert(deploys).values({ hostId, ...d });
		recorded++;
		log.info('deploy', {
			key: d.key,
			container: d.container,
			image: d.image,
			imageId: d.imageId.slice(0, 19)
		});
	}

	async function reconcile() {
		const list = await api.listContainers({ all: true, labels });
		// oldest first, so the newest container of a key is the image remembered
		list.sort((a, b) => a.Created - b.Created);
		for (const c of list) {
			const name = (c.Names?.[0] ?? c.Id).replace(/^\//, '');
			const key = deployKey(name, c.Labels);
			// Created is in whole seconds: its create event is up to a second later (Docker's clock, as the events')
			listedUpTo.set(key, Math.max(listedUpTo.get(key) ?? 0, (c.Created + 1) * 1000));
			const d = noteImage(
				known,
				{
					ts: c.Created * 1000,
					key,
					container: name,
					image: c.Image,
					imageId: c.ImageID
				},
				{ baseline: !listedOnce }
			);
			if (d) await record(d);
		}
		listedOnce = true;
	}

	async function onEvent(e: DockerEventLine) {
		if (e.Type !== 'container' || (e.Action !== 'create' && e.Action !== 'start')) return;
		const id = e.Actor?.ID ?? e.id;
		if (!id) return;
		const c = await api.inspectContainer(id);
		const name = c.Name.replace(/^\//, '');
		const ts = e.timeNano ? Math.round(e.timeNano / 1e6) : (e.time ?? now() / 1000) * 1000;
		const key = deployKey(name, c.Config?.Labels ?? undefined);
		if (ts < (listedUpTo.get(key) ?? 0)) return;
		const d = noteImage(known, {
			ts,
			key,
			container: name,
			image: c.Config?.Image ?? c.Image,
			imageId: c.Image
		});
		if (d) await record(d);
	}

	const stream = sharedOrOwnFollower(follower, () =>
		createDockerEventFollower({ api, labels, what: 'deploy recorder', retryMs, log })
	);
	const { events } = stream;
	events.subscribe({
		what: 'deploy recorder',
		events: ['create', 'start'],
		onAttached: reconcile,
		onEvent
	});

	return {
		start: stream.start,
		stop: stream.stop,
		status() {
			return { connected: events.connected, recorded, lastError: events.lastError };
		},
		/** For /healthz: reported, never fatal (Docker is an outside system). */
		health() {
			const { connected, lastError } = events;
			return {
				ok: connected,
				detail: connected
					? `following Docker events; ${recorded} deploy(s) recorded since start`
					: `not following Docker events${lastError ? `: ${lastError}` : ''}`
			};
		}
	};
}

export type DeployRecorder = ReturnType<typeof createDeployRecorder>;
