// Live container list for /containers: starts from server-loaded data, then follows the
// containers.live SSE subscription (one push per stats collection).
import type { Availability } from '$lib/server/availability';
import type { ContainerRow } from '$lib/containers';
import { LiveView } from './live-link.svelte';
import { trpc } from '$lib/trpc/client';

export class ContainersLive extends LiveView {
	result: Availability<ContainerRow[]>;
	constructor(initial: Availability<ContainerRow[]>) {
		super();
		this.result = $state.raw(initial);
	}

	/** The rows to show: the current list, or the last good one while Docker is unavailable. */
	get rows(): ContainerRow[] {
		return this.result.state === 'ok' ? this.result.data : (this.result.lastGood ?? []);
	}

	protected open() {
		return trpc().containers.live.subscribe(
			undefined,
			this.link.handlers((r: Availability<ContainerRow[]>) => (this.result = r))
		);
	}
}
