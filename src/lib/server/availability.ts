// Every outside system can be down alone (DESIGN decision 6). Its adapter answers with one of
// these instead of throwing, so a page can say "Docker is unreachable: … (last good data 10:42)".

export interface Available<T> {
	state: 'ok';
	data: T;
	/** epoch ms of this data */
	at: number;
}

export interface Unavailable<T> {
	state: 'unavailable';
	/** human reason, e.g. "connect ENOENT /var/run/docker.sock" */
	reason: string;
	/** the last good data, if there ever was any */
	lastGood: T | null;
	/** epoch ms of lastGood */
	lastGoodAt: number | null;
	/** epoch ms of the failed attempt */
	at: number;
}

export type Availability<T> = Available<T> | Unavailable<T>;

/** Keeps the last good value of one outside source and turns failures into `Unavailable`. */
export function createAvailability<T>(now: () => number = Date.now) {
	let lastGood: T | null = null;
	let lastGoodAt: number | null = null;
	return {
		ok(data: T): Available<T> {
			lastGood = data;
			lastGoodAt = now();
			return { state: 'ok', data, at: lastGoodAt };
		},
		fail(err: unknown): Unavailable<T> {
			return { state: 'unavailable', reason: reasonOf(err), lastGood, lastGoodAt, at: now() };
		},
		get lastGoodAt() {
			return lastGoodAt;
		}
	};
}

/** The most useful one-line reason from an error and its causes. */
export function reasonOf(err: unknown): string {
	if (!(err instanceof Error)) return String(err);
	if (!(err.cause instanceof Error)) return err.message;
	// a wrapper that repeats its cause's message ("fetch failed" around "fetch failed") says it once
	const cause = reasonOf(err.cause);
	return cause === err.message || cause.startsWith(`${err.message}: `)
		? cause
		: `${err.message}: ${cause}`;
}
