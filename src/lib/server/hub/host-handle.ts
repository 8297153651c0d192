// The host a per-host call is about (issue 22 §1), as the tRPC layer hands it to a procedure
// (`ctx.host`): this instance, a bare Docker host the hub runs the containers procedures for, or
// (for a procedure the hub answers itself) a vmwarden host of the registry. A vmwarden host's
// calls are forwarded (hub/forward.ts) and never reach a procedure with its handle.
// Domain shapes only: trpc/host.ts resolves a hostId into one of these.
import type { DockerAdapter } from '../docker';
import type { StatsCollector } from '../docker/stats-collector';
import type { SqliteContainerHistoryStore } from '../db/container-history-store';
import type { HostRecord } from '../hosts/types';
import type { HostSummary } from './types';

/** Docker on one host: its adapter, the per-container figures and their stored history. */
export interface ContainerServices {
	docker: DockerAdapter;
	containerStats: StatsCollector;
	containerHistory: Pick<SqliteContainerHistoryStore, 'range'>;
}

/** A host whose procedures run here: this instance, or a bare Docker host (containers and activity only). */
export interface RunHost {
	kind: 'local' | 'docker';
	id: string;
	/** the registry's record; absent for this instance */
	record?: HostRecord;
	containers: ContainerServices;
	/** the overview's summary of this host */
	summary(signal?: AbortSignal): Promise<HostSummary>;
}

/** A host the hub answers for itself (trends from the shared PromQL store): any kind, by id. */
export interface HostRef {
	kind: 'local' | 'docker' | 'vmwarden';
	id: string;
}
