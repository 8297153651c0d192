// Live watchdog status: starts from server-loaded data, then follows watchdog.live (SSE).
import { untrack } from 'svelte';
import { LiveLink } from './live-link.svelte';
import type { WatchdogStatusView } from '$lib/watchdog';
import { trpc } from '$lib/trpc/client';

export class WatchdogLive {
	status: WatchdogStatusView | null;
	readonly link = new LiveLink();
	#unsubscribe: (() => void) | null = null;

	constructor(initial: WatchdogStatusView | null) {
		this.status = $state.raw(initial);
	}

	byId(id: string) {
		return this.status?.containers.find((c) => c.id === id) ?? null;
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
			const sub = trpc().watchdog.live.subscribe(undefined, this.link.handlers((s: WatchdogStatusView) => (this.status = s)));
			this.#unsubscribe = () => sub.unsubscribe();
			return () => this.stop();
		});
	}

	stop() {
		this.#unsubscribe?.();
		this.#unsubscribe = null;
	}
}
