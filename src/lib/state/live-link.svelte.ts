// The state of one tRPC SSE subscription, shared by every live view (health, containers,
// watchdog, score, overview): `connection` and `connectionError` follow the link the same way
// everywhere, and LiveView starts and stops the subscription the same way everywhere.
import { untrack } from 'svelte';

export type LiveConnection = 'connecting' | 'live' | 'reconnecting' | 'stopped';

interface ConnectionState {
	state: string;
	error?: { message: string } | null;
}

export class LiveLink {
	connection: LiveConnection = $state('connecting');
	/** The last connection error, for a tooltip; cleared when data flows again. */
	connectionError: string | null = $state(null);

	/** The view stopped following the link (unsubscribed). */
	stopped() {
		this.connection = 'stopped';
	}

	/** The subscription callbacks: keep the link state true and hand each push to `onData`. */
	handlers<T>(onData: (value: T) => void) {
		this.connection = 'connecting';
		return {
			onStarted: () => {
				this.connection = 'live';
			},
			onData: (value: T) => {
				this.connection = 'live';
				this.connectionError = null;
				onData(value);
			},
			onConnectionStateChange: (s: ConnectionState) => {
				// 'connecting' after a drop carries the error; the link retries on its own.
				if (s.state === 'connecting') {
					this.connection = s.error || this.connection === 'live' ? 'reconnecting' : 'connecting';
					if (s.error) this.connectionError = s.error.message;
				} else if (s.state === 'pending') {
					this.connection = 'live';
				}
			},
			onError: (err: { message: string }) => {
				this.connection = 'stopped';
				this.connectionError = err.message;
			},
			onComplete: () => {
				this.connection = 'stopped';
			}
		};
	}
}

/**
 * A view that follows one subscription: `open()` subscribes with `this.link.handlers(...)`;
 * `start()` (from $effect / onMount) re-opens it and returns the stop function.
 */
export abstract class LiveView {
	readonly link = new LiveLink();
	#unsubscribe: (() => void) | null = null;

	get connection() {
		return this.link.connection;
	}

	get connectionError() {
		return this.link.connectionError;
	}

	protected abstract open(): { unsubscribe(): void };

	start(): () => void {
		// Untracked: callbacks read and write state, and must not become dependencies of the caller's effect.
		return untrack(() => {
			this.stop();
			const sub = this.open();
			this.#unsubscribe = () => sub.unsubscribe();
			return () => this.stop();
		});
	}

	stop() {
		this.#unsubscribe?.();
		this.#unsubscribe = null;
	}
}
