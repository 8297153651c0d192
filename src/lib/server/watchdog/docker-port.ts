// The little the watchdog needs from Docker, behind one interface: list, inspect (mapped to the
// policy's ContainerView), restart, the event stream, and the self-test's create/remove.
// Implemented over the docker/ adapter's DockerApi (every call but the event stream time-boxed).
import {
	ContainerGoneError,
	restartAndConfirm,
	stopTimeoutOf,
	type DockerApi,
	type RawContainerInspect,
	type SelfTestDockerApi
} from '../docker';
import type { ContainerStatus, ContainerView, HealthStatus } from './policy';

export interface ContainerSummary {
	id: string;
	name: string;
	status: ContainerStatus;
	/** from the list's status text: "(healthy)", "(unhealthy)", "(health: starting)" */
	health: HealthStatus;
	labels: Record<string, string>;
}

export interface DockerEvent {
	/** 'health_status: unhealthy', 'die', 'stop', 'kill', 'oom', 'start', 'destroy', … */
	action: string;
	id: string;
	name: string;
	/** epoch ms with sub-ms precision from timeNano */
	at: number;
	attributes: Record<string, string>;
}

export interface WatchdogDocker {
	ping(): Promise<void>;
	list(): Promise<ContainerSummary[]>;
	/** null when the container is gone */
	inspect(id: string): Promise<ContainerView | null>;
	/**
	 * Resolves once Docker restarted it (restartAndConfirm: waits out the container's own stop
	 * timeout, and reads an inspect when the answer is lost); throws when it did not, or is gone.
	 */
	restart(
		id: string,
		opts?: {
			known?: { stopTimeoutS: number; startedAt: number };
			onRequested?: (info: { stopTimeoutS: number }) => void;
		}
	): Promise<void>;
	/** Calls `onEvent` per event until the stream ends (resolves) or fails (rejects); `signal` stops it. */
	streamEvents(onEvent: (e: DockerEvent) => void, signal: AbortSignal): Promise<void>;
	/** Self-test: create and start a container; returns its id. */
	runContainer(spec: Parameters<SelfTestDockerApi['createContainer']>[0]): Promise<string>;
	removeContainer(id: string): Promise<void>;
}

export const WATCHED_EVENTS = [
	'health_status',
	'die',
	'stop',
	'kill',
	'oom',
	'start',
	'destroy'
] as const;

const nsToMs = (ns: number | undefined) => (ns && ns > 0 ? ns / 1e6 : 0);
const parseTime = (s: string | undefined) => {
	const t = s ? Date.parse(s) : NaN;
	return Number.isFinite(t) && t > 0 ? t : 0;
};

export function healthFromStatusText(text: string | undefined): HealthStatus {
	if (!text) return 'none';
	if (text.includes('(unhealthy)')) return 'unhealthy';
	if (text.includes('(healthy)')) return 'healthy';
	if (text.includes('(health: starting)')) return 'starting';
	return 'none';
}

/** Docker's inspect JSON → the policy's view. */
export function toContainerView(info: RawContainerInspect): ContainerView {
	const h = info.State.Health;
	return {
		id: info.Id,
		name: info.Name.replace(/^\//, ''),
		status: info.State.Status as ContainerStatus,
		health: (h?.Status as HealthStatus | undefined) || 'none',
		failingStreak: h?.FailingStreak ?? 0,
		healthLog: (h?.Log ?? []).map((l) => ({
			startedAt: parseTime(l.Start),
			endedAt: parseTime(l.End),
			exitCode: l.ExitCode,
			output: (l.Output ?? '').slice(0, 500)
		})),
		labels: info.Config.Labels ?? {},
		startedAt: parseTime(info.State.StartedAt),
		healthIntervalMs:
			nsToMs((info.Config as { Healthcheck?: { Interval?: number } }).Healthcheck?.Interval) ||
			30_000,
		stopTimeoutS: stopTimeoutOf(info)
	};
}

export function createDockerPort(api: DockerApi, selfTestApi: SelfTestDockerApi): WatchdogDocker {
	return {
		ping: () => api.ping(),
		async list() {
			const rows = await api.listContainers({ all: true });
			return rows.map((r) => ({
				id: r.Id,
				name: (r.Names?.[0] ?? r.Id).replace(/^\//, ''),
				status: r.State as ContainerStatus,
				health: healthFromStatusText(r.Status),
				labels: r.Labels ?? {}
			}));
		},
		async inspect(id) {
			try {
				return toContainerView(await api.inspectContainer(id));
			} catch (err) {
				if (err instanceof ContainerGoneError) return null;
				throw err;
			}
		},
		async restart(id, opts) {
			const r = await restartAndConfirm(api, id, {
				known: opts?.known,
				onRequested: opts?.onRequested
			});
			if (r.outcome === 'gone') throw new ContainerGoneError(id);
		},
		async streamEvents(onEvent, signal) {
			const body = (await api.events({
				signal,
				filters: { type: ['container'], event: [...WATCHED_EVENTS] }
			})) as NodeJS.ReadableStream & { destroy?: () => void };
			await new Promise<void>((resolve, reject) => {
				let buf = '';
				const finish = (err?: Error) => {
					signal.removeEventListener('abort', onAbort);
					if (err && !signal.aborted) reject(err);
					else resolve();
				};
				const onAbort = () => {
					body.destroy?.();
					finish();
				};
				signal.addEventListener('abort', onAbort, { once: true });
				body.on('data', (chunk: Buffer) => {
					buf += chunk.toString('utf8');
					let nl: number;
					while ((nl = buf.indexOf('\n')) >= 0) {
						const line = buf.slice(0, nl).trim();
						buf = buf.slice(nl + 1);
						if (!line) continue;
						const e = parseEventLine(line);
						if (e) onEvent(e);
					}
				});
				body.on('end', () => finish());
				body.on('close', () => finish());
				body.on('error', (err: Error) => finish(err));
			});
		},
		async runContainer(spec) {
			const id = await selfTestApi.createContainer(spec);
			try {
				await selfTestApi.startContainer(id);
			} catch (err) {
				await selfTestApi.removeContainer(id).catch(() => undefined);
				throw err;
			}
			return id;
		},
		removeContainer: (id) => selfTestApi.removeContainer(id)
	};
}

/** One line of GET /events → a DockerEvent; null when it is not JSON (skipped: the reconcile pass covers it). */
export function parseEventLine(line: string): DockerEvent | null {
	try {
		const raw = JSON.parse(line) as {
			Action?: string;
			status?: string;
			id?: string;
			Actor?: { ID?: string; Attributes?: Record<string, string> };
			timeNano?: number;
			time?: number;
		};
		const attributes = raw.Actor?.Attributes ?? {};
		return {
			action: raw.Action ?? raw.status ?? '',
			id: raw.Actor?.ID ?? raw.id ?? '',
			name: attributes.name ?? '',
			at: raw.timeNano ? raw.timeNano / 1e6 : (raw.time ?? 0) * 1000,
			attributes
		};
	} catch {
		return null;
	}
}
