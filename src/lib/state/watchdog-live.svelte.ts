// Live watchdog status: starts from server-loaded data, then follows watchdog.live (SSE).
import { untrack } from 'svelte';
import type { LiveConnection } from './health-live.svelte';
import type { WatchdogStatusView } from '$lib/watchdog';
import { trpc } from '$lib/trpc/client';

export class WatchdogLive {
	status: WatchdogStatusView | null;
	connection: LiveConnection = $state('connecting');
	connectionError: string | null = $state(null);
	#unsubscribe: (() => void) | null = null;

	constructor(initial: WatchdogStatusView | null) {
		this.status = $state.raw(initial);
	}

	byId(id: string) {
		return this.status?.containers.find((c) => c.id === id) ?? null;
	}

	start(): () => void {
		return untrack(() => {
			this.stop();
			const sub = trpc().watchdog.live.subscribe(undefined, {
				onStarted: () => (this.connection = 'live'),
				onData: (s) => {
					this.connection = 'live';
					this.connectionError = null;
					this.status = s;
				},
				onConnectionStateChange: (s) => {
					if (s.state === 'connecting') {
						this.connection = 'reconnecting';
						if (s.error) this.connectionError = s.error.message;
					} else if (s.state === 'pending') this.connection = 'live';
				},
				onError: (err) => {
					this.connection = 'stopped';
					this.connectionError = err.message;
				}
			});
			this.#unsubscribe = () => sub.unsubscribe();
			return () => this.stop();
		});
	}

	stop() {
		this.#unsubscribe?.();
		this.#unsubscribe = null;
	}
}
