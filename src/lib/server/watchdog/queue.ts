// Evaluations of the watchdog, one at a time per container: an evaluation asked for while one
// runs makes it run once more after it (never two at once, never lost), and a container can be
// re-evaluated at a time (the end of a cooldown or wait).

export function createEvaluationQueue({
	evaluate,
	clock,
	onError
}: {
	evaluate: (id: string) => Promise<void>;
	clock: () => number;
	onError: (id: string, err: unknown) => void;
}) {
	let stopped = false;
	const sched = new Map<string, { running: boolean; again: boolean; done: Promise<void> }>();
	const timers = new Map<string, NodeJS.Timeout>();

	function schedule(id: string) {
		if (stopped) return;
		let s = sched.get(id);
		if (s?.running) {
			s.again = true;
			return;
		}
		s = { running: true, again: false, done: Promise.resolve() };
		sched.set(id, s);
		const state = s;
		state.done = (async () => {
			try {
				do {
					state.again = false;
					await evaluate(id);
				} while (state.again && !stopped);
			} catch (err) {
				onError(id, err);
			} finally {
				state.running = false;
				sched.delete(id);
			}
		})();
	}

	return {
		schedule,
		/** Evaluate `id` at `atMs` (epoch ms), replacing an earlier timer of it. */
		at(id: string, atMs: number) {
			const old = timers.get(id);
			if (old) clearTimeout(old);
			const delay = Math.max(0, Math.min(atMs - clock(), 2 ** 31 - 1)) + 20;
			const t = setTimeout(() => {
				timers.delete(id);
				schedule(id);
			}, delay);
			t.unref?.();
			timers.set(id, t);
		},
		/** Drops the timer of `id`. */
		cancel(id: string) {
			const t = timers.get(id);
			if (t) clearTimeout(t);
			timers.delete(id);
		},
		busy: () => sched.size > 0,
		/** Resolves when the evaluations running now have ended. */
		async settled() {
			await Promise.allSettled([...sched.values()].map((s) => s.done));
		},
		/** No more evaluations start; timers are dropped (settled() waits for the running ones). */
		stop() {
			stopped = true;
			for (const t of timers.values()) clearTimeout(t);
			timers.clear();
		}
	};
}
