// Plain container records built from the Engine API's answers (pure: no IO here).
import type { RawContainerInspect, RawContainerSummary } from './api';

export const CONTAINER_STATES = [
	'created',
	'running',
	'paused',
	'restarting',
	'removing',
	'exited',
	'dead'
] as const;
export type ContainerState = (typeof CONTAINER_STATES)[number];
export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

export interface HealthResult {
	/** epoch ms */
	start: number;
	end: number;
	exitCode: number;
	output: string;
}

export interface ContainerInfo {
	id: string;
	/** without the leading slash */
	name: string;
	image: string;
	/** the image's id (sha256:…), to look up its Created in the image list (optional so hand-made records elsewhere need not name it) */
	imageId?: string;
	state: ContainerState;
	/** Docker's own one-line status, e.g. "Up 3 hours (unhealthy)" */
	status: string;
	/** null when the container has no health check */
	health: HealthStatus | null;
	failingStreak: number;
	/** oldest first, as Docker keeps it (the last 5 results) */
	healthLog: HealthResult[];
	/** compose project (com.docker.compose.project), null outside compose */
	stack: string | null;
	/** compose service (com.docker.compose.service) */
	service: string | null;
	labels: Record<string, string>;
	/** epoch ms */
	createdAt: number;
	startedAt: number | null;
	finishedAt: number | null;
	exitCode: number | null;
	oomKilled: boolean;
	restartCount: number;
	/** HostConfig.Memory; null = no limit */
	memoryLimitBytes: number | null;
	/** HostConfig.CgroupParent ('' = the daemon's default) */
	cgroupParent: string;
	/** the container's main process on the host, 0 when not running */
	pid: number;
	/** epoch ms of the inspect this record is built from */
	inspectedAt: number;
	/** the health check's interval (Docker's 30 s when unset); null without a check */
	healthIntervalMs?: number | null;
}

const time = (iso: string | undefined | null): number | null => {
	if (!iso || iso.startsWith('0001-01-01')) return null;
	const t = Date.parse(iso);
	return Number.isFinite(t) ? t : null;
};

export function toState(s: string): ContainerState {
	return (CONTAINER_STATES as readonly string[]).includes(s) ? (s as ContainerState) : 'dead';
}

function toHealth(s: string | undefined): HealthStatus | null {
	return s === 'starting' || s === 'healthy' || s === 'unhealthy' ? s : null;
}

/** The health word inside a list entry's Status ("Up 2 minutes (unhealthy)"), null without one. */
export function healthFromStatus(status: string): HealthStatus | null {
	if (/\(unhealthy\)/.test(status)) return 'unhealthy';
	if (/\(healthy\)/.test(status)) return 'healthy';
	if (/\(health: starting\)/.test(status)) return 'starting';
	return null;
}

/** Joins a list entry (state, status string) and an inspect (everything else) into one record. */
export function toContainerInfo(
	summary: RawContainerSummary | null,
	inspect: RawContainerInspect,
	inspectedAt: number
): ContainerInfo {
	const labels = inspect.Config?.Labels ?? summary?.Labels ?? {};
	const h = inspect.State.Health;
	const memory = inspect.HostConfig?.Memory ?? 0;
	return {
		id: inspect.Id,
		name: inspect.Name.replace(/^\//, ''),
		image: inspect.Config?.Image ?? summary?.Image ?? inspect.Image,
		imageId: inspect.Image ?? summary?.ImageID ?? '',
		state: toState(summary?.State ?? inspect.State.Status),
		status: summary?.Status ?? inspect.State.Status,
		health: toHealth(h?.Status),
		failingStreak: h?.FailingStreak ?? 0,
		healthLog: (h?.Log ?? []).map((r) => ({
			start: time(r.Start) ?? 0,
			end: time(r.End) ?? 0,
			exitCode: r.ExitCode,
			output: r.Output
		})),
		stack: labels['com.docker.compose.project'] ?? null,
		service: labels['com.docker.compose.service'] ?? null,
		labels,
		createdAt: time(inspect.Created) ?? 0,
		startedAt: time(inspect.State.StartedAt),
		finishedAt: time(inspect.State.FinishedAt),
		exitCode: inspect.State.Running ? null : inspect.State.ExitCode,
		oomKilled: inspect.State.OOMKilled,
		restartCount: inspect.RestartCount ?? 0,
		memoryLimitBytes: memory > 0 ? memory : null,
		cgroupParent: inspect.HostConfig?.CgroupParent ?? '',
		pid: inspect.State.Pid ?? 0,
		inspectedAt,
		healthIntervalMs: h
			? Math.round(
					((inspect.Config as { Healthcheck?: { Interval?: number } })?.Healthcheck?.Interval ??
						0) / 1e6
				) || 30_000
			: null
	};
}

/** Finds a container by full id, unique id prefix (>= 12 hex), or exact name. */
export function findContainer<T extends { id: string; name: string }>(
	list: readonly T[],
	ref: string
): T | null {
	if (typeof ref !== 'string' || ref.length === 0 || ref.length > 128) return null;
	const name = ref.replace(/^\//, '');
	const byName = list.find((c) => c.name === name);
	if (byName) return byName;
	if (!/^[0-9a-f]{12,64}$/.test(ref)) return null;
	const byId = list.filter((c) => c.id.startsWith(ref));
	return byId.length === 1 ? byId[0] : null;
}
