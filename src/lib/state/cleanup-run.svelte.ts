// A dashboard cleanup run as the page sees it: start it, follow maintenance.progress, and
// derive the step list and progress bar from the typed events.
import { trpc } from '$lib/trpc/client';
import type { ProgressEvent } from '$lib/maintenance-types';

export type StepView = {
	name: string;
	state: 'pending' | 'running' | 'ok' | 'skipped' | 'failed';
	freedBytes: number | null;
	message: string;
};

/** Pure: the step list after a sequence of events (exported for tests). */
export function stepsFrom(events: ProgressEvent[]): StepView[] {
	const queued = events.find((e) => e.type === 'queued');
	if (!queued || queued.type !== 'queued') return [];
	const steps: StepView[] = queued.steps.map((name) => ({
		name,
		state: 'pending',
		freedBytes: null,
		message: ''
	}));
	for (const e of events) {
		if (e.type === 'step-start' && steps[e.index]) steps[e.index].state = 'running';
		if (e.type === 'step-end' && steps[e.index])
			Object.assign(steps[e.index], {
				state: e.status,
				freedBytes: e.freedBytes,
				message: e.message
			});
	}
	return steps;
}

export class CleanupRun {
	events: ProgressEvent[] = $state([]);
	starting = $state(false);
	error: string | null = $state(null);
	runId: string | null = $state(null);
	#unsubscribe: (() => void) | null = null;
	#onEnd: () => void;

	constructor({ onEnd }: { onEnd: () => void }) {
		this.#onEnd = onEnd;
	}

	get steps() {
		return stepsFrom(this.events);
	}
	get queued() {
		return this.events.find((e) => e.type === 'queued') as
			Extract<ProgressEvent, { type: 'queued' }> | undefined;
	}
	get end() {
		return this.events.find((e) => e.type === 'end') as
			Extract<ProgressEvent, { type: 'end' }> | undefined;
	}
	get record() {
		return (
			(
				this.events.find((e) => e.type === 'record') as
					Extract<ProgressEvent, { type: 'record' }> | undefined
			)?.record ?? null
		);
	}
	get running() {
		return this.runId !== null && !this.end;
	}
	get logLines() {
		return this.events
			.filter((e) => e.type === 'log')
			.map((e) => (e as Extract<ProgressEvent, { type: 'log' }>).line);
	}
	/** Steps finished over steps in the mode, 0..1. */
	get progress() {
		const s = this.steps;
		if (this.end) return 1;
		return s.length
			? s.filter((x) => x.state !== 'pending' && x.state !== 'running').length / s.length
			: 0;
	}

	async start(mode: 'standard' | 'weekly' | 'full', dryRun: boolean) {
		this.error = null;
		this.starting = true;
		try {
			const { runId } = await trpc().maintenance.run.mutate({ mode, dryRun });
			this.follow(runId);
		} catch (err) {
			this.error = err instanceof Error ? err.message : String(err);
		} finally {
			this.starting = false;
		}
	}

	/** Follow a run (the current one when runId is omitted). */
	follow(runId?: string) {
		this.stop();
		this.events = [];
		this.runId = runId ?? null;
		const sub = trpc().maintenance.progress.subscribe(runId ? { runId } : undefined, {
			onData: (e) => {
				const ev = e as ProgressEvent;
				this.runId ??= ev.runId;
				this.events = [...this.events, ev];
				if (ev.type === 'end') {
					this.stop();
					this.#onEnd();
				}
			},
			onError: (err) => {
				this.error = `lost the progress feed: ${err.message}`;
			}
		});
		this.#unsubscribe = () => sub.unsubscribe();
	}

	stop() {
		this.#unsubscribe?.();
		this.#unsubscribe = null;
	}
}
