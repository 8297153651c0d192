// The one way a `*.live` subscription follows a source: yield the current value at once, then
// again after every change, until the client goes away. Changes that arrive while the client
// is still being sent the previous value coalesce into one: a slow client gets the latest
// value, never a growing backlog.

export interface LiveSource<T> {
	/** Registers a change callback; returns the function that unregisters it. */
	subscribe(onChange: () => void): () => void;
	/** The value to send now. */
	current(): T;
}

export async function* live<T>({ subscribe, current }: LiveSource<T>, signal: AbortSignal | undefined): AsyncGenerator<T, void, unknown> {
	let changed = true; // send the current value first
	let wake: (() => void) | null = null;
	const unsubscribe = subscribe(() => {
		changed = true;
		wake?.();
	});
	const onAbort = () => wake?.();
	signal?.addEventListener('abort', onAbort, { once: true });
	try {
		while (!signal?.aborted) {
			if (changed) {
				changed = false;
				yield current();
				continue;
			}
			await new Promise<void>((resolve) => (wake = resolve));
			wake = null;
		}
	} finally {
		unsubscribe();
		signal?.removeEventListener('abort', onAbort);
	}
}
