// A restart whose outcome is what Docker did. Docker answers POST /restart only after the
// container stopped — up to its stop timeout, which a PID 1 that ignores SIGTERM (Node or a
// shell without an init) always uses in full — and started again. So:
//   1. a quick inspect first: "Docker did not answer" is told apart from "the stop is running",
//      and it gives the container's own stop timeout and the StartedAt to compare with;
//   2. the restart, waited for as long as the stop timeout plus a start allowance;
//   3. when that answer does not come (time box, connection cut by a proxy), an inspect says what
//      Docker did: a new StartedAt is a restart, whatever the HTTP request's fate.
import {
	ContainerGoneError,
	DockerUnavailableError,
	type DockerApi,
	type RawContainerInspect
} from './api';

/** Label naming a container's stop timeout in seconds, for restarts (overrides Config.StopTimeout). */
export const LABEL_STOP_TIMEOUT = 'vmwarden.stop-timeout';
/** Docker's own default when a container sets no StopTimeout. */
export const DEFAULT_STOP_TIMEOUT_S = 10;
const MAX_STOP_TIMEOUT_S = 3600;

/** The seconds Docker will wait for this container to stop: label, else Config.StopTimeout, else 10. */
export function stopTimeoutOf(inspect: Pick<RawContainerInspect, 'Config'>): number {
	const raw = inspect.Config?.Labels?.[LABEL_STOP_TIMEOUT]?.trim();
	if (raw && /^\d{1,4}$/.test(raw) && Number(raw) <= MAX_STOP_TIMEOUT_S) return Number(raw);
	const own = (inspect.Config as { StopTimeout?: number | null } | undefined)?.StopTimeout;
	if (typeof own === 'number' && Number.isInteger(own) && own >= 0 && own <= MAX_STOP_TIMEOUT_S)
		return own;
	return DEFAULT_STOP_TIMEOUT_S;
}

export type ConfirmedRestart =
	| {
			outcome: 'restarted';
			inspect: RawContainerInspect;
			stopTimeoutS: number;
			via: 'answer' | 'inspect';
	  }
	| { outcome: 'gone'; stopTimeoutS: number | null };

export interface RestartOptions {
	/** seconds: overrides the container's own stop timeout (stopTimeoutOf) */
	timeoutS?: number;
	/**
	 * What an inspect made a moment ago said (the watchdog decides on one): the quick inspect is
	 * skipped, so the request leaves at once. startedAt: epoch ms of State.StartedAt.
	 */
	known?: { stopTimeoutS: number; startedAt: number };
	/** after the stop timeout, how long the start may take before the restart counts as failed */
	startAllowanceMs?: number;
	/** between inspects while the answer is missing */
	pollMs?: number;
	/** called once the quick inspect answered and the restart request is about to leave */
	onRequested?: (info: { stopTimeoutS: number; deadline: number }) => void;
	now?: () => number;
}

const timeOf = (iso: string | undefined) =>
	iso && !iso.startsWith('0001-01-01') ? Date.parse(iso) : 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Restarts `id` and resolves when Docker restarted it (or it is gone). Throws
 * DockerUnavailableError when Docker does not answer a quick call, DockerApiError when it refuses
 * (409, 500), and a plain Error when it did not restart the container by the deadline.
 */
export async function restartAndConfirm(
	api: DockerApi,
	id: string,
	{
		timeoutS,
		known,
		startAllowanceMs = 30_000,
		pollMs = 500,
		onRequested,
		now = Date.now
	}: RestartOptions = {}
): Promise<ConfirmedRestart> {
	let before: { id: string; stopTimeoutS: number; startedAt: number };
	if (known) before = { id, ...known };
	else {
		try {
			const raw = await api.inspectContainer(id);
			before = {
				id: raw.Id,
				stopTimeoutS: stopTimeoutOf(raw),
				startedAt: timeOf(raw.State.StartedAt)
			};
		} catch (err) {
			if (err instanceof ContainerGoneError) return { outcome: 'gone', stopTimeoutS: null };
			throw err;
		}
	}
	const stopTimeoutS = timeoutS ?? before.stopTimeoutS;
	const startedBefore = before.startedAt;
	const deadline = now() + stopTimeoutS * 1000 + startAllowanceMs;
	onRequested?.({ stopTimeoutS, deadline });
	try {
		await api.restartContainer(before.id, {
			timeoutS: stopTimeoutS,
			waitMs: Math.max(1, deadline - now())
		});
		const after = await api.inspectContainer(before.id);
		return { outcome: 'restarted', inspect: after, stopTimeoutS, via: 'answer' };
	} catch (err) {
		if (err instanceof ContainerGoneError) return { outcome: 'gone', stopTimeoutS };
		// Refused by the daemon (DockerApiError), or never sent: nothing was restarted.
		if (!(err instanceof DockerUnavailableError) || !err.sent) throw err;
		// Sent, answer missing: the restart may well be under way. Docker's state decides.
		let last: unknown = err;
		for (;;) {
			try {
				const cur = await api.inspectContainer(before.id);
				if (timeOf(cur.State.StartedAt) > startedBefore)
					return { outcome: 'restarted', inspect: cur, stopTimeoutS, via: 'inspect' };
			} catch (e) {
				if (e instanceof ContainerGoneError) return { outcome: 'gone', stopTimeoutS };
				last = e;
			}
			if (now() >= deadline) {
				const why = last === err ? '' : `; last inspect: ${(last as Error).message}`;
				throw new Error(
					`Docker did not restart it within ${Math.round((stopTimeoutS * 1000 + startAllowanceMs) / 1000)} s (stop timeout ${stopTimeoutS} s)${why}`,
					{ cause: err }
				);
			}
			await sleep(Math.min(pollMs, Math.max(0, deadline - now())));
		}
	}
}
