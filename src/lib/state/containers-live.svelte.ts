// Live container list for /containers: starts from server-loaded data, then follows the
// containers.live SSE subscription (one push per stats collection).
import { untrack } from 'svelte';
import type { Availability } from '$lib/server/availability';
import type { ContainerRow } from '$lib/containers';
import type { LiveConnection } from './health-live.svelte';
import { trpc } from '$lib/trpc/client';

export class ContainersLive {
	result: Availability<ContainerRow[]>;
	connection: LiveConnection = $state('connecting');
	connectionError: string | null = $state(null);
	#unsubscribe: (() => void) | null = null;

	constructor(initial: Availability<ContainerRow[]>) {
		this.result = $state.raw(initial);
	}

	/** The rows to show: the current list, or the last good one while Docker is unavailable. */
	get rows(): ContainerRow[] {
		return this.result.state === 'ok' ? this.result.data : (this.result.lastGood ?? []);
	}

	start(): () => void {
		return untrack(() => {
			this.stop();
			this.connection = 'connecting';
			const sub = trpc().containers.live.subscribe(undefined, {
				onStarted: () => (this.connection = 'live'),
				onData: (r) => {
					this.connection = 'live';
					this.connectionError = null;
					this.result = r;
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
