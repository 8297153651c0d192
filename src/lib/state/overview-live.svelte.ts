// The all-hosts overview for /overview: starts from the server-loaded rows, then follows the
// hub.live SSE subscription (all rows again whenever a host's row was refreshed).
import { untrack } from 'svelte';
import type { OverviewRow } from '$lib/server/hub/types';
import { LiveLink } from './live-link.svelte';
import { trpc } from '$lib/trpc/client';

export class OverviewLive {
	rows: OverviewRow[];
	/** epoch ms of the last push (or of the server load) */
	at: number;
	readonly link = new LiveLink();
	#unsubscribe: (() => void) | null = null;

	constructor(initial: OverviewRow[], at: number) {
		this.rows = $state.raw(initial);
		this.at = $state(at);
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
			const sub = trpc().hub.live.subscribe(
				undefined,
				this.link.handlers((rows: OverviewRow[]) => {
					this.rows = rows;
					this.at = Date.now();
				})
			);
			this.#unsubscribe = () => sub.unsubscribe();
			return () => this.stop();
		});
	}

	stop() {
		this.#unsubscribe?.();
		this.#unsubscribe = null;
	}
}
