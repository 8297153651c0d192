// How often to retry an outside system (Docker, Ollama) that does not answer (issue 24: the
// watcher must not be a load on the box it watches; decision 0025). The first retry comes after
// the normal interval, and each further one waits twice as long as the one before, up to `maxMs`
// (5 s, 10 s, 20 s, 40 s, 60 s, 60 s, … for Docker): an outage of hours costs one attempt a
// minute instead of twelve. A request that needs the system does not wait for it: each loop has
// a way to retry at once (the Docker adapter's wake(), the followers' retryNow()).

/** The default ceiling: one attempt a minute at worst. */
export const RETRY_MAX_MS = 60_000;

/** The wait after the `failures`-th failure in a row (1, 2, …): `baseMs` doubled each time, at most `maxMs` (or `baseMs` when larger). */
export function retryDelayMs({
	baseMs,
	failures,
	maxMs = RETRY_MAX_MS
}: {
	baseMs: number;
	failures: number;
	maxMs?: number;
}): number {
	return Math.max(baseMs, Math.min(baseMs * 2 ** Math.max(0, failures - 1), maxMs));
}

/** A loop's count of failures in a row: `failed()` returns the wait before the next attempt, `ok()` starts again. */
export function createRetryClock({
	baseMs,
	maxMs = RETRY_MAX_MS
}: {
	baseMs: number;
	maxMs?: number;
}) {
	let failures = 0;
	return {
		failed(): number {
			failures++;
			return retryDelayMs({ baseMs, maxMs, failures });
		},
		ok() {
			failures = 0;
		},
		get failures() {
			return failures;
		}
	};
}
