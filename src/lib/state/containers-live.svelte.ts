// Live container list for /containers: starts from server-loaded data, then follows the
// containers.live SSE subscription (one push per stats collection).
import { untrack } from 'svelte';
import type { Availability } from '$lib/server/availability';
import type { ContainerRow } from '$lib/containers';
import { LiveLink } from './live-link.svelte';
import { trpc } from '$lib/trpc/client';

export class ContainersLive {
	result: Availability<ContainerRow[]>;
	readonly link = new LiveLink();
	#unsubscribe: (() => void) | null = null;

	constructor(initial: Availability<ContainerRow[]>) {
		this.result = $state.raw(initial);
	}

	/** The rows to show: the current list, or the last good one while Docker is unavailable. */
	get rows(): ContainerRow[] {
		return this.result.state === 'ok' ? this.result.data : (this.result.lastGood ?? []);
	}

	get connection() {
		return this.link.connection;
	}

	get connectionError() {
		return this.link.connectionError;
	}

	start(): () => void {
		return untrack(() => {
			this.stop();
			const sub = trpc().containers.live.subscribe(undefined, this.link.handlers((r: Availability<ContainerRow[]>) => (this.result = r)));
			this.#unsubscribe = () => sub.unsubscribe();
			return () => this.stop();
		});
	}

	stop() {
		this.#unsubscribe?.();
		this.#unsubscribe = null;
	}
}
