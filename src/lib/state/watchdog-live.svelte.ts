// Live watchdog status: starts from server-loaded data, then follows watchdog.live (SSE).
import { LiveView } from './live-link.svelte';
import type { WatchdogStatusView } from '$lib/watchdog';
import { trpc } from '$lib/trpc/client';

export class WatchdogLive extends LiveView {
	status: WatchdogStatusView | null;
	constructor(initial: WatchdogStatusView | null) {
		super();
		this.status = $state.raw(initial);
	}

	byId(id: string) {
		return this.status?.containers.find((c) => c.id === id) ?? null;
	}

	protected open() {
		return trpc().watchdog.live.subscribe(
			undefined,
			this.link.handlers((s: WatchdogStatusView) => (this.status = s))
		);
	}
}
