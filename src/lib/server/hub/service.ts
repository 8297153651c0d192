// The hub (issue 15, decision 0013): the all-hosts overview over the registry, the per-host
// clients it forwards calls through, and the bare Docker hosts' adapters. Started from
// services.ts; nothing here runs at import time, and nothing is sent while nobody looks.
import type { VmwardenClient } from '$lib/client';
import type { DockerApi } from '../docker';
import type { HostRecord, HostRegistry, HostView } from '../hosts/types';
import type { Logger } from '../log';
import { createEmitter } from '../emitter';
import { createOverview, type Overview } from './overview';
import { forwardToHost, remoteError, type ForwardCall } from './forward';
import type { Db } from '../db';
import type { HostSummary } from './types';
import type { ContainerServices } from './host-handle';
import { createLastGood, LOCAL_TIMEOUT_MS } from './all';

/** How the hub reaches a host: hosts/connect.ts (remoteClient, remoteDockerApi). */
export interface HubConnect {
	remoteClient(host: HostRecord, opts?: { onBehalfOf?: string }): VmwardenClient;
	remoteDockerApi(host: HostRecord): DockerApi;
}

export interface HubOptions {
	/** this instance's id (VMW_HOST_ID) and display name */
	local: { id: string; name: string; summary(): Promise<HostSummary>; timeoutMs?: number };
	registry: HostRegistry;
	connect: HubConnect;
	/** the hub's audit record (forwarded mutations) */
	db: Db;
	/** a bare Docker host's Docker, started (hub/docker-host.ts): the containers procedures run against it */
	dockerContainers?: (host: HostRecord) => Promise<ContainerServices>;
	/** a bare Docker host's summary (hub/docker-host.ts); null until that part is wired */
	dockerSummary?: (host: HostRecord, signal: AbortSignal) => Promise<HostSummary>;
	refreshMs: number;
	concurrency: number;
	idleAfterMs?: number;
	log: Logger;
}

/** hostIdSchema's rule (trpc/host.ts): anything else is never looked up */
const HOST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** A registry that holds no host: an instance that is not a hub (and the specs). */
export const emptyRegistry: HostRegistry = {
	list: async () => [],
	get: async () => null,
	onChange: () => () => {}
};

export function createHub(opts: HubOptions) {
	const { registry, connect, log } = opts;
	// decrypted records and clients per host, dropped on every registry change of that host
	const records = new Map<string, Promise<HostRecord | null>>();
	const clients = new Map<string, VmwardenClient>();
	const changeListeners = createEmitter<string>({ log, what: 'hub: host-change listener' });

	async function record(id: string): Promise<HostRecord | null> {
		let p = records.get(id);
		if (!p) {
			p = registry.get(id).then(
				(r) => {
					// not cached: hostile ids must not grow this map
					if (!r) records.delete(id);
					return r;
				},
				(err) => {
					records.delete(id);
					throw err;
				}
			);
			records.set(id, p);
		}
		return p;
	}

	function clientFor(host: HostRecord): VmwardenClient {
		let c = clients.get(host.id);
		if (!c) {
			c = connect.remoteClient(host);
			clients.set(host.id, c);
		}
		return c;
	}

	const overview: Overview = createOverview({
		local: {
			id: opts.local.id,
			name: opts.local.name,
			kind: 'local',
			timeoutMs: opts.local.timeoutMs ?? 10_000,
			summary: opts.local.summary
		},
		hosts: () => registry.list(),
		async fetchSummary(view: HostView, signal: AbortSignal) {
			const host = await record(view.id);
			if (!host) throw new Error(`${view.name} is no longer in the registry`);
			if (host.kind === 'docker') {
				if (!opts.dockerSummary)
					throw new Error(`${host.name} is a bare Docker host: no summary source yet`);
				return opts.dockerSummary(host, signal);
			}
			let summary: HostSummary;
			try {
				summary = (await clientFor(host).hub.summary.query(undefined, { signal })) as HostSummary;
			} catch (err) {
				throw remoteError(host, err); // the row's reason reads like a forwarded call's error
			}
			// the remote names itself by its own VMW_HOST_ID; the hub's row is the registry's id
			return { ...summary, hostId: host.id };
		},
		refreshMs: opts.refreshMs,
		concurrency: opts.concurrency,
		idleAfterMs: opts.idleAfterMs,
		log
	});

	/** hub.all's last good answers per (host, role, procedure, input) */
	const lastGood = createLastGood();

	const offRegistry = registry.onChange((id) => {
		lastGood.forgetHost(id);
		records.delete(id);
		clients.delete(id);
		overview.forget(id);
		changeListeners.emit(id);
	});

	return {
		overview,
		/** The registry's hosts (no secrets), in its order: hub.all's targets besides this one. */
		hosts: () => registry.list(),
		/** hub.all's last good answers (hub/all.ts) */
		lastGood,
		/** this instance's own call bound in hub.all */
		localTimeoutMs: opts.local.timeoutMs ?? LOCAL_TIMEOUT_MS,
		/** this instance's id and display name (the first entry of hub.all) */
		local: { id: opts.local.id, name: opts.local.name },
		/** This instance's own summary (what `hub.summary` answers). */
		localSummary: () => opts.local.summary(),
		/** The registry host with this id (decrypted, cached until it changes); null when none. */
		host: (id: string) => (HOST_ID.test(id) ? record(id) : Promise.resolve(null)),
		/** The host's shared client (no onBehalfOf): queries and subscriptions. */
		client: clientFor,
		/** A client for one mutation, carrying the hub user's identity. */
		clientOnBehalfOf: (host: HostRecord, onBehalfOf: string) =>
			connect.remoteClient(host, { onBehalfOf }),
		connect,
		/** A call for a vmwarden host (trpc/host.ts decided it goes there): that host's answer. */
		forward: (host: HostRecord, call: ForwardCall): Promise<unknown> =>
			forwardToHost(
				{
					db: opts.db,
					hubId: opts.local.id,
					client: clientFor,
					clientOnBehalfOf: (h, who) => connect.remoteClient(h, { onBehalfOf: who }),
					log
				},
				host,
				call
			),
		/** A bare Docker host's Docker and summary (hub/docker-host.ts). */
		docker: {
			async containers(host: HostRecord): Promise<ContainerServices> {
				if (!opts.dockerContainers)
					throw new Error(`${host.name} is a bare Docker host: no Docker adapter is wired`);
				return opts.dockerContainers(host);
			},
			summary(host: HostRecord, signal: AbortSignal): Promise<HostSummary> {
				if (!opts.dockerSummary)
					throw new Error(`${host.name} is a bare Docker host: no summary source yet`);
				return opts.dockerSummary(host, signal);
			}
		},
		/** Called after a registry change of host `id` (per-host caches elsewhere drop theirs). */
		onHostChange(fn: (id: string) => void): () => void {
			return changeListeners.on(fn);
		},
		health(): { ok: boolean; detail: string } {
			const s = overview.status();
			return {
				ok: true,
				detail: `${s.hosts} host(s) in the overview; ${s.active ? `refreshing (${s.refreshing} in flight)` : 'idle'}`
			};
		},
		stop() {
			offRegistry();
			overview.stop();
			changeListeners.clear();
		}
	};
}

export type Hub = ReturnType<typeof createHub>;
