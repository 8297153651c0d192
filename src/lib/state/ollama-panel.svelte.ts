// The /models page's data: starts from the server load, refreshes every `intervalMs` and after
// each load/unload, and ticks a clock each second for the expiry countdowns.
import { untrack } from 'svelte';
import type { inferRouterOutputs } from '@trpc/server';
import { trpc, type AppRouter } from '$lib/trpc/client';

export { formatCountdown } from '$lib/ollama';

export type OllamaPanelData = inferRouterOutputs<AppRouter>['ollama']['panel'];

export class OllamaPanelLive {
	panel: OllamaPanelData;
	/** epoch ms (browser clock) when `panel` arrived: expiresInMs counts from here */
	receivedAt: number;
	nowMs = $state(Date.now());
	/** the last refresh error (the tRPC call itself failed, e.g. the app is restarting) */
	error: string | null = $state(null);
	readonly intervalMs: number;
	#timers: ReturnType<typeof setInterval>[] = [];

	constructor(panel: OllamaPanelData, { intervalMs = 5000 }: { intervalMs?: number } = {}) {
		this.panel = $state(panel);
		this.receivedAt = $state(Date.now());
		this.intervalMs = intervalMs;
	}

	async refresh(): Promise<void> {
		try {
			const next = await trpc().ollama.panel.query();
			this.panel = next;
			this.receivedAt = Date.now();
			this.error = null;
		} catch (err) {
			this.error = err instanceof Error ? err.message : String(err);
		}
	}

	/** Call from $effect; returns the stop function. */
	start(): () => void {
		return untrack(() => {
			this.stop();
			this.#timers = [
				setInterval(() => void this.refresh(), this.intervalMs),
				setInterval(() => (this.nowMs = Date.now()), 1000)
			];
			return () => this.stop();
		});
	}

	stop() {
		for (const t of this.#timers) clearInterval(t);
		this.#timers = [];
	}

	/** ms left before Ollama unloads a model, counted down in the browser. */
	remainingMs(expiresInMs: number | null): number | null {
		if (expiresInMs === null) return null;
		return Math.max(0, expiresInMs - (this.nowMs - this.receivedAt));
	}
}
