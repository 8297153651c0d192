// The one way a live subscription follows a source, so no router hand-writes the wake/pending/abort
// loop. Two shapes:
// - `live`: a value. Yield the current value at once, then again after every change, until the
//   client goes away. Changes that arrive while the client is still being sent the previous value
//   coalesce into one: a slow client gets the latest value, never a growing backlog.
// - `liveEvents`: a stream of events. Yield what happened before (the backlog), then every event in
//   order, until the last one or until the client goes away.

export interface LiveSource<T> {
	/** Registers a change callback; returns the function that unregisters it. */
	subscribe(onChange: () => void): () => void;
	/** The value to send now. */
	current(): T | Promise<T>;
}

export interface LiveOptions {
	/** After each value, wait this long before the next one; changes meanwhile coalesce into it. */
	minIntervalMs?: number;
	/** With no change for this long, send the current value again (keeps ages and "until" times honest). */
	refreshMs?: number;
}

/** Waits for a wake-up, the signal's abort or a time limit: the one wait every live loop uses. */
function waiter(signal: AbortSignal | undefined) {
	let settle: ((why: 'change' | 'abort' | 'timeout') => void) | null = null;
	let wakeable = false;
	const onAbort = () => settle?.('abort');
	signal?.addEventListener('abort', onAbort, { once: true });
	const wait = (ms: number | undefined, byChange: boolean) =>
		new Promise<'change' | 'abort' | 'timeout'>((resolve) => {
			if (signal?.aborted) return resolve('abort');
			const timer = ms === undefined ? undefined : setTimeout(() => settle?.('timeout'), ms);
			wakeable = byChange;
			settle = (why) => {
				clearTimeout(timer);
				settle = null;
				resolve(why);
			};
		});
	return {
		/** Ends the current wait, if it is one a change ends. */
		wake: () => wakeable && settle?.('change'),
		/** Until the next change, the abort, or `ms` (when given). */
		next: (ms?: number) => wait(ms, true),
		/** `ms`, or until the abort; changes do not end it. */
		sleep: (ms: number) => wait(ms, false),
		close: () => signal?.removeEventListener('abort', onAbort)
	};
}

export async function* live<T>(
	{ subscribe, current }: LiveSource<T>,
	signal: AbortSignal | undefined,
	{ minIntervalMs = 0, refreshMs }: LiveOptions = {}
): AsyncGenerator<T, void, unknown> {
	let changed = true; // send the current value first
	const waiting = waiter(signal);
	const unsubscribe = subscribe(() => {
		changed = true;
		waiting.wake();
	});
	try {
		while (!signal?.aborted) {
			if (changed) {
				changed = false;
				yield await current();
				if (minIntervalMs > 0) await waiting.sleep(minIntervalMs);
				continue;
			}
			if ((await waiting.next(refreshMs)) === 'timeout') changed = true;
		}
	} finally {
		unsubscribe();
		waiting.close();
	}
}

export interface LiveEventSource<E> {
	/** Registers an event callback; returns the function that unregisters it. */
	subscribe(push: (event: E) => void): () => void;
	/** The events so far; read right after subscribing, so none is missed or sent twice. */
	backlog(): readonly E[];
	/** The event after which the stream ends. */
	isLast(event: E): boolean;
}

export async function* liveEvents<E>(
	{ subscribe, backlog, isLast }: LiveEventSource<E>,
	signal: AbortSignal | undefined
): AsyncGenerator<E, void, unknown> {
	const queue: E[] = [];
	const waiting = waiter(signal);
	const unsubscribe = subscribe((event) => {
		queue.push(event);
		waiting.wake();
	});
	try {
		const past = backlog();
		queue.length = 0; // events pushed before the backlog was read are in it
		for (const event of past) {
			yield event;
			if (isLast(event)) return;
		}
		while (!signal?.aborted) {
			while (queue.length) {
				const event = queue.shift()!;
				yield event;
				if (isLast(event)) return;
			}
			await waiting.next();
		}
	} finally {
		unsubscribe();
		waiting.close();
	}
}
