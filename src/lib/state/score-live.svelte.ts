// The score card's live state: starts from the server-loaded report, follows score.live (SSE),
// and re-reads score.current and the history at least every 5 minutes (the roadmap's refresh,
// also when the live link is down).
import { trpc } from '$lib/trpc/client';
import type { ScoreHistoryPoint, ScoreReport } from '$lib/score';
import { LiveView } from './live-link.svelte';

export const SCORE_POLL_MS = 5 * 60_000;

export class ScoreLive extends LiveView {
	report: ScoreReport | null;
	history: ScoreHistoryPoint[];
	/** why the score could not be read, when it could not */
	error: string | null = $state(null);

	constructor({
		report,
		history,
		error = null
	}: {
		report: ScoreReport | null;
		history: ScoreHistoryPoint[];
		error?: string | null;
	}) {
		super();
		this.report = $state(report);
		this.history = $state(history);
		this.error = error;
	}

	protected open() {
		return trpc().score.live.subscribe(
			undefined,
			this.link.handlers((r: ScoreReport) => this.#take(r))
		);
	}

	/** Subscribe and poll; call from $effect, returns the stop function. */
	override start(): () => void {
		const stop = super.start();
		const timer = setInterval(() => void this.poll(), SCORE_POLL_MS);
		return () => {
			clearInterval(timer);
			stop();
			this.link.stopped();
		};
	}

	async poll() {
		try {
			const [r, h] = await Promise.all([
				trpc().score.current.query(),
				trpc().score.history.query({ range: '7d' })
			]);
			this.#take(r);
			this.history = h.points;
		} catch (err) {
			this.error = err instanceof Error ? err.message : String(err);
		}
	}

	#take(r: ScoreReport) {
		this.report = r;
		this.error = null;
	}
}
