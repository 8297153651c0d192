// The ONLY module that talks to the Docker Engine (and the only user of dockerode, loaded through
// load-dockerode.ts, which defers its ssh2 and gRPC parts).
// Every call the app makes is a method here, named in DOCKER_API_CALLS with the HTTP
// request it sends; tests check those against the socket-proxy allow-list
// (deploy/socket-proxy/haproxy.cfg), count calls, and fail when a call is added unlisted.
import type Docker from 'dockerode';
import type {
	ContainerInfo as DockerodeContainerInfo,
	ContainerInspectInfo,
	ContainerStats
} from 'dockerode';
import { modemOptions, type DockerConnection } from './connection';
import { loadDockerode } from './load-dockerode';

/** Each Engine API call the app makes: the request it sends (path without the /vX.Y prefix). */
export const DOCKER_API_CALLS = {
	ping: { method: 'GET', path: '/_ping' },
	version: { method: 'GET', path: '/version' },
	info: { method: 'GET', path: '/info' },
	listContainers: { method: 'GET', path: '/containers/json' },
	inspectContainer: { method: 'GET', path: '/containers/{id}/json' },
	containerLogs: { method: 'GET', path: '/containers/{id}/logs' },
	containerStats: { method: 'GET', path: '/containers/{id}/stats' },
	restartContainer: { method: 'POST', path: '/containers/{id}/restart' },
	listImages: { method: 'GET', path: '/images/json' },
	events: { method: 'GET', path: '/events' }
} as const;

export type DockerCallName = keyof typeof DOCKER_API_CALLS;

export type RawContainerSummary = DockerodeContainerInfo;
export type RawContainerInspect = ContainerInspectInfo;
export type RawContainerStats = ContainerStats;

/** The daemon could not be reached or did not answer in time. */
export class DockerUnavailableError extends Error {
	/**
	 * false: the request never reached the daemon (connect refused, no socket, DNS): nothing
	 * happened. true: it was sent and the answer did not come (time box, connection cut): the
	 * daemon may be doing what was asked — a restart's outcome is then read from an inspect.
	 */
	readonly sent: boolean;
	constructor(message: string, options?: { cause?: unknown; sent?: boolean }) {
		super(message, options);
		this.name = 'DockerUnavailableError';
		this.sent = options?.sent ?? true;
	}
}

/** Errors raised before a request leaves: the connection itself failed. */
const CONNECT_ERRORS = new Set([
	'ECONNREFUSED',
	'ENOENT',
	'EACCES',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'ENOTFOUND',
	'EAI_AGAIN',
	'ENOTSOCK',
	'EPERM'
]);

function neverSent(err: unknown): boolean {
	for (
		let e = err as { code?: string; cause?: unknown } | null, depth = 0;
		e && depth < 4;
		e = e.cause as typeof e, depth++
	) {
		if (typeof e.code === 'string' && CONNECT_ERRORS.has(e.code)) return true;
	}
	return false;
}

/** The daemon answered 404: the container is not there (removed, or never was). */
export class ContainerGoneError extends Error {
	constructor(
		readonly ref: string,
		options?: { cause?: unknown }
	) {
		super(`container ${ref} is gone`, options);
		this.name = 'ContainerGoneError';
	}
}

/** Any other answer from the daemon (409 conflict, 500, ...). */
export class DockerApiError extends Error {
	constructor(
		message: string,
		readonly statusCode: number | null,
		options?: { cause?: unknown }
	) {
		super(message, options);
		this.name = 'DockerApiError';
	}
}

export interface DockerApiOptions extends DockerConnection {
	/** Called before each request leaves: tests count calls with it. */
	onCall?: (name: DockerCallName) => void;
}

export interface DockerApi {
	readonly label: string;
	ping(): Promise<void>;
	version(): Promise<{ version: string; apiVersion: string }>;
	info(): Promise<{
		cgroupVersion: string | null;
		cgroupDriver: string | null;
		containers: number;
		serverVersion: string;
	}>;
	/** all = include stopped ones; labels = `key` or `key=value` filters (all must match). */
	listContainers(opts?: { all?: boolean; labels?: string[] }): Promise<RawContainerSummary[]>;
	inspectContainer(id: string): Promise<RawContainerInspect>;
	/** Raw log bytes (multiplexed unless the container has a TTY), last `tail` lines. */
	containerLogs(id: string, opts: { tail: number; timestamps?: boolean }): Promise<Buffer>;
	/** One stats reading (stream=false; the daemon takes ~1-2 s to answer). */
	containerStats(id: string): Promise<RawContainerStats>;
	/**
	 * POST /containers/{id}/restart?t=timeoutS. The daemon answers only once the container stopped
	 * (up to timeoutS) and started again, so this call has no socket inactivity timeout; it is
	 * time-boxed at `waitMs` (default: the stop timeout plus VMW_DOCKER_TIMEOUT_MS for the start).
	 * A request that never reached the daemon throws DockerUnavailableError with `sent: false`.
	 */
	restartContainer(id: string, opts?: { timeoutS?: number; waitMs?: number }): Promise<void>;
	/** createdAt: epoch ms the image was built */
	listImages(): Promise<{ id: string; tags: string[]; sizeBytes: number; createdAt: number }[]>;
	/**
	 * Event stream (no per-request timeout); ends when `signal` aborts. `since` ("seconds.nanos",
	 * Docker's own format): first the events Docker still holds from then on (its ring keeps the
	 * last 256 of all kinds), then live ones; without it, live ones only.
	 */
	events(opts: {
		signal: AbortSignal;
		filters?: Record<string, string[]>;
		since?: string;
	}): Promise<NodeJS.ReadableStream>;
	/** Calls made so far, by name. */
	callCounts(): Record<DockerCallName, number>;
}

function classify(err: unknown, what: string, ref: string | null): Error {
	const e = err as {
		statusCode?: number;
		code?: string;
		name?: string;
		message?: string;
		json?: { message?: string };
	} | null;
	if (e?.statusCode === 404 && ref !== null) return new ContainerGoneError(ref, { cause: err });
	if (typeof e?.statusCode === 'number') {
		const msg = e.json?.message ?? e.message ?? 'error';
		return new DockerApiError(`${what}: HTTP ${e.statusCode}: ${msg}`, e.statusCode, {
			cause: err
		});
	}
	// Network errors, aborts and anything else without an HTTP status: the daemon is not answering.
	// The message names the call; reasonOf() appends the cause ("listContainers failed: connect ENOENT ...").
	return new DockerUnavailableError(`${what} failed`, { cause: err, sent: !neverSent(err) });
}

export function createDockerApi(opts: DockerApiOptions): DockerApi {
	const { label, ...modem } = modemOptions(opts);
	const docker = new (loadDockerode())(modem as Docker.DockerOptions);
	// dockerode 5 takes { abortSignal } on every call; @types/dockerode 4 lacks it on a few.
	const loose = docker as unknown as {
		ping(o: { abortSignal: AbortSignal }): Promise<unknown>;
		version(o: { abortSignal: AbortSignal }): Promise<{ Version: string; ApiVersion: string }>;
		info(o: { abortSignal: AbortSignal }): Promise<Record<string, unknown>>;
	};
	const statsOf = (id: string, abortSignal: AbortSignal) =>
		(
			docker.getContainer(id) as unknown as {
				stats(o: { stream: false; abortSignal: AbortSignal }): Promise<RawContainerStats>;
			}
		).stats({ stream: false, abortSignal });
	// Event streams stay open for hours, and a restart's answer comes only after the container's
	// stop timeout: no socket inactivity timeout on their own client (each call is time-boxed below).
	const eventsDocker = new (loadDockerode())({
		...modem,
		timeout: undefined
	} as Docker.DockerOptions);
	const longDocker = new (loadDockerode())({
		...modem,
		timeout: undefined
	} as Docker.DockerOptions);
	const counts = Object.fromEntries(Object.keys(DOCKER_API_CALLS).map((k) => [k, 0])) as Record<
		DockerCallName,
		number
	>;
	const timeoutMs = opts.timeoutMs;

	/** Counts, time-boxes (abort signal + race: a stuck socket cannot hold a caller) and classifies errors. */
	async function call<T>(
		name: DockerCallName,
		ref: string | null,
		run: (signal: AbortSignal) => Promise<T>,
		ms = timeoutMs
	): Promise<T> {
		counts[name]++;
		opts.onCall?.(name);
		const ctrl = new AbortController();
		let timer: ReturnType<typeof setTimeout> | undefined;
		const timeout = new Promise<never>((_, reject) => {
			timer = setTimeout(() => {
				ctrl.abort();
				reject(new DockerUnavailableError(`${name}: no answer from ${label} within ${ms} ms`));
			}, ms);
		});
		try {
			return await Promise.race([run(ctrl.signal), timeout]);
		} catch (err) {
			if (err instanceof DockerUnavailableError) throw err;
			throw classify(err, name, ref);
		} finally {
			clearTimeout(timer);
		}
	}

	return {
		label,
		async ping() {
			await call('ping', null, (abortSignal) => loose.ping({ abortSignal }));
		},
		async version() {
			const v = await call('version', null, (abortSignal) => loose.version({ abortSignal }));
			return { version: v.Version, apiVersion: v.ApiVersion };
		},
		async info() {
			const i = await call('info', null, (abortSignal) => loose.info({ abortSignal }));
			return {
				cgroupVersion: typeof i.CgroupVersion === 'string' ? i.CgroupVersion : null,
				cgroupDriver: typeof i.CgroupDriver === 'string' ? i.CgroupDriver : null,
				containers: Number(i.Containers ?? 0),
				serverVersion: String(i.ServerVersion ?? '')
			};
		},
		listContainers({ all = true, labels = [] } = {}) {
			return call('listContainers', null, (abortSignal) =>
				docker.listContainers({
					all,
					abortSignal,
					...(labels.length ? { filters: { label: labels } } : {})
				})
			);
		},
		inspectContainer(id) {
			return call('inspectContainer', id, (abortSignal) =>
				docker.getContainer(id).inspect({ abortSignal })
			);
		},
		containerLogs(id, { tail, timestamps = false }) {
			return call(
				'containerLogs',
				id,
				(abortSignal) =>
					docker.getContainer(id).logs({
						stdout: true,
						stderr: true,
						follow: false,
						tail,
						timestamps,
						abortSignal
					}) as unknown as Promise<Buffer>
			);
		},
		containerStats(id) {
			// The daemon waits for a second CPU reading before it answers: allow for it.
			return call(
				'containerStats',
				id,
				(abortSignal) => statsOf(id, abortSignal),
				Math.max(timeoutMs, 3_000)
			);
		},
		async restartContainer(id, { timeoutS = 10, waitMs = timeoutS * 1000 + timeoutMs } = {}) {
			// The daemon answers after the container stopped (up to t seconds) and started again: the
			// client without a socket timeout, so only this call's own time box can cut it.
			await call(
				'restartContainer',
				id,
				(abortSignal) => longDocker.getContainer(id).restart({ t: timeoutS, abortSignal }),
				waitMs
			);
		},
		async listImages() {
			const images = await call('listImages', null, (abortSignal) =>
				docker.listImages({ abortSignal })
			);
			return images.map((i) => ({
				id: i.Id,
				tags: i.RepoTags ?? [],
				sizeBytes: i.Size,
				createdAt: i.Created * 1000
			}));
		},
		events({ signal, filters, since }) {
			return call('events', null, () =>
				eventsDocker.getEvents({
					abortSignal: signal,
					...(filters ? { filters } : {}),
					// a string, not the number @types/dockerode asks for: a double cannot carry the nanoseconds
					...(since !== undefined ? { since: since as unknown as number } : {})
				})
			);
		},
		callCounts() {
			return { ...counts };
		}
	};
}

/**
 * Calls only the watchdog's self-test makes (issue 9): a throwaway container, created, started
 * and removed. Deliberately NOT in DOCKER_API_CALLS and not allowed by the socket proxy:
 * creating a container is root on the host, so behind the proxy the self-test reports the
 * proxy's 403 instead of the proxy being widened for every caller.
 */
export const SELFTEST_DOCKER_CALLS = {
	createContainer: { method: 'POST', path: '/containers/create' },
	startContainer: { method: 'POST', path: '/containers/{id}/start' },
	removeContainer: { method: 'DELETE', path: '/containers/{id}' }
} as const;

export interface SelfTestDockerApi {
	/** Never pulls: the image must be local. Returns the new container's id. */
	createContainer(spec: Docker.ContainerCreateOptions): Promise<string>;
	startContainer(id: string): Promise<void>;
	/** force + volumes; a container already gone is not an error. */
	removeContainer(id: string): Promise<void>;
}

export function createSelfTestDockerApi(opts: DockerConnection): SelfTestDockerApi {
	const { label, ...modem } = modemOptions(opts);
	const docker = new (loadDockerode())(modem as Docker.DockerOptions);
	async function call<T>(
		name: keyof typeof SELFTEST_DOCKER_CALLS,
		ref: string | null,
		run: (signal: AbortSignal) => Promise<T>
	): Promise<T> {
		const ctrl = new AbortController();
		let timer: ReturnType<typeof setTimeout> | undefined;
		const timeout = new Promise<never>((_, reject) => {
			timer = setTimeout(() => {
				ctrl.abort();
				reject(
					new DockerUnavailableError(`${name}: no answer from ${label} within ${opts.timeoutMs} ms`)
				);
			}, opts.timeoutMs);
		});
		try {
			return await Promise.race([run(ctrl.signal), timeout]);
		} catch (err) {
			if (err instanceof DockerUnavailableError) throw err;
			throw classify(err, name, ref);
		} finally {
			clearTimeout(timer);
		}
	}
	return {
		async createContainer(spec) {
			const c = await call('createContainer', null, (abortSignal) =>
				docker.createContainer({ ...spec, abortSignal } as Docker.ContainerCreateOptions)
			);
			return c.id;
		},
		async startContainer(id) {
			await call('startContainer', id, (abortSignal) =>
				docker.getContainer(id).start({ abortSignal })
			);
		},
		async removeContainer(id) {
			try {
				await call('removeContainer', id, (abortSignal) =>
					docker.getContainer(id).remove({ force: true, v: true, abortSignal })
				);
			} catch (err) {
				if (!(err instanceof ContainerGoneError)) throw err;
			}
		}
	};
}
