// The all-hosts overview for /overview: starts from the server-loaded rows, then follows the
// hub.live SSE subscription (all rows again whenever a host's row was refreshed).
import type { OverviewRow } from '$lib/server/hub/types';
import { LiveView } from './live-link.svelte';
import { trpc } from '$lib/trpc/client';

export class OverviewLive extends LiveView {
	rows: OverviewRow[];
	/** epoch ms of the last push (or of the server load) */
	at: number;
	constructor(initial: OverviewRow[], at: number) {
		super();
		this.rows = $state.raw(initial);
		this.at = $state(at);
	}

	protected open() {
		return trpc().hub.live.subscribe(
			undefined,
			this.link.handlers((rows: OverviewRow[]) => {
				this.rows = rows;
				this.at = Date.now();
			})
		);
	}
}
