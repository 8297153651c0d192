// Bare Docker hosts (issue 15, decision 0013): what Docker and node_exporter give. A bare Docker
// host's handle (host-handle.ts) carries a per-host Docker adapter (built on hosts/connect.ts'
// remoteDockerApi, cached per host, dropped on a registry change, stopped when unused): the
// containers router's own procedures run against it (trpc/host.ts), so a bare Docker host gets
// the same validation, answers and audit rows (on the hub, with that host's id) as this machine;
// its summary comes from the container list and node_exporter. Nothing here knows tRPC.
import type { HealthSnapshot, Thresholds } from '$lib/health';
import { createDockerAdapter, type DockerAdapter, type DockerApi } from '../docker';
import { createStatsCollector, type StatsCollector } from '../docker/stats-collector';
import type { HostRecord } from '../hosts/types';
import type { Logger } from '../log';
import { classify, worstStatus } from '../host/classify';
import { reasonOf } from '../availability';
import type { ContainerServices } from './host-handle';
import { sampleFromNodeExporter, type CpuTotals } from './node-exporter';
import { containerParts, snapshotDimensions } from './summary';
import type { HostSummary } from './types';

export interface DockerHostsOptions {
	dockerApi(host: HostRecord): DockerApi;
	/** node_exporter's text for a host (remoteFetch of its nodeExporterUrl) */
	fetchText(host: HostRecord, url: string, signal: AbortSignal): Promise<string>;
	/** classify node_exporter's figures like this machine's */
	thresholds: Thresholds;
	/** container list refresh while in use */
	intervalMs: number;
	/** an adapter unused this long is stopped and dropped */
	idleMs?: number;
	log: Logger;
}

interface Entry {
	adapter: DockerAdapter;
	collector: StatsCollector;
	usedAt: number;
	started: Promise<void>;
}

export function createDockerHosts(opts: DockerHostsOptions) {
	const { log } = opts;
	const idleMs = opts.idleMs ?? 120_000;
	const entries = new Map<string, Entry>();
	const cpuBefore = new Map<string, { ts: number; cpu: CpuTotals }>();

	const sweeper = setInterval(
		() => {
			const now = Date.now();
			for (const [id, e] of entries) if (now - e.usedAt > idleMs) drop(id);
		},
		Math.min(idleMs, 30_000)
	);
	sweeper.unref?.();

	function drop(id: string) {
		const e = entries.get(id);
		entries.delete(id);
		cpuBefore.delete(id);
		if (e) void e.adapter.stop().catch(() => {});
	}

	/** The host's adapter, started (first refresh awaited) on first use. */
	async function adapterFor(host: HostRecord): Promise<Entry> {
		let e = entries.get(host.id);
		if (!e) {
			const adapter = createDockerAdapter({
				api: opts.dockerApi(host),
				intervalMs: opts.intervalMs,
				log
			});
			// figures per container would need that host's cgroups: the collector stays idle (cpu/mem columns empty)
			const collector = createStatsCollector({ adapter, log });
			const started = adapter.refresh().then(() => adapter.start());
			e = { adapter, collector, usedAt: Date.now(), started };
			entries.set(host.id, e);
		}
		e.usedAt = Date.now();
		await e.started;
		return e;
	}

	/** The host's Docker, started (first refresh awaited): what the containers procedures run against. */
	async function containers(host: HostRecord): Promise<ContainerServices> {
		const e = await adapterFor(host);
		// no stored history for a bare Docker host: the history chart is empty
		return {
			docker: e.adapter,
			containerStats: e.collector,
			containerHistory: { range: async () => [] }
		};
	}

	/** Host figures from node_exporter, classified like this machine's; null without a URL. */
	async function hostSnapshot(
		host: HostRecord,
		signal: AbortSignal
	): Promise<HealthSnapshot | { error: string } | null> {
		if (!host.nodeExporterUrl) return null;
		try {
			const text = await opts.fetchText(host, host.nodeExporterUrl, signal);
			const ts = Date.now();
			const { sample, cpu } = sampleFromNodeExporter(text, {
				ts,
				previous: cpuBefore.get(host.id) ?? null
			});
			cpuBefore.set(host.id, { ts, cpu });
			return classify({ sample, thresholds: opts.thresholds, hostId: host.id });
		} catch (err) {
			return { error: reasonOf(err) };
		}
	}

	/** A bare Docker host's overview summary: containers, and host figures when node_exporter is given. */
	async function summary(host: HostRecord, signal: AbortSignal): Promise<HostSummary> {
		const [e, snap] = await Promise.all([adapterFor(host), hostSnapshot(host, signal)]);
		e.adapter.wake(); // the overview asks: an unreachable Engine is retried at the interval, not backed off
		const list = e.adapter.containers();
		// the Engine is what this host is: without it the row is unavailable (with its last good summary)
		if (list.state !== 'ok') throw new Error(`Docker Engine unavailable: ${list.reason}`);
		const containers = containerParts(list);
		const hostDims =
			snap === null
				? []
				: 'error' in snap
					? [
							{
								name: 'host',
								status: 'UNKNOWN' as const,
								detail: `node_exporter unreadable: ${snap.error}`
							}
						]
					: snapshotDimensions(snap);
		const dimensions = [...hostDims, containers.dimension];
		const fullest =
			snap && !('error' in snap)
				? snap.disks
						.flatMap((d) => (d.ok ? [{ mount: d.mount, usedPct: d.usedPct }] : []))
						.sort((a, b) => b.usedPct - a.usedPct)[0]
				: undefined;
		return {
			hostId: host.id,
			at: Date.now(),
			score: null,
			dimensions,
			unhealthy: containers.unhealthy,
			diskProjection: fullest
				? { mount: fullest.mount, usedPct: fullest.usedPct, daysToFull: null }
				: null,
			lastCleanup: null,
			status: worstStatus(dimensions.map((d) => d.status))
		};
	}

	return {
		containers,
		summary,
		/** A registry change: the host's adapter is rebuilt on next use. */
		forget: drop,
		stop() {
			clearInterval(sweeper);
			for (const id of [...entries.keys()]) drop(id);
		}
	};
}

export type DockerHosts = ReturnType<typeof createDockerHosts>;
