import { describe, expect, it, vi } from 'vitest';
import { createEvaluationQueue } from './queue';

/** An evaluation that waits until released, recording each run. */
function gated() {
	const runs: string[] = [];
	let release: () => void = () => {};
	const evaluate = vi.fn(async (id: string) => {
		runs.push(id);
		await new Promise<void>((r) => (release = r));
	});
	return { runs, evaluate, release: () => release() };
}

describe('evaluation queue', () => {
	it('one evaluation per container at a time; asked again while running, it runs once more after', async () => {
		const g = gated();
		const q = createEvaluationQueue({ evaluate: g.evaluate, clock: Date.now, onError: () => {} });
		q.schedule('a');
		q.schedule('a');
		q.schedule('a');
		expect(g.runs).toEqual(['a']);
		g.release();
		await vi.waitFor(() => expect(g.runs).toEqual(['a', 'a']));
		g.release();
		await q.settled();
		expect(g.runs).toEqual(['a', 'a']);
		expect(q.busy()).toBe(false);
	});

	it('an evaluation that throws is reported and the container can be evaluated again', async () => {
		const onError = vi.fn();
		const evaluate = vi.fn(async () => {
			throw new Error('inspect failed');
		});
		const q = createEvaluationQueue({ evaluate, clock: Date.now, onError });
		q.schedule('a');
		await q.settled();
		q.schedule('a');
		await q.settled();
		expect(onError).toHaveBeenCalledTimes(2);
		expect(onError.mock.calls[0][0]).toBe('a');
	});

	it('evaluates at a time; a cancelled or stopped timer never fires', async () => {
		vi.useFakeTimers();
		try {
			const evaluate = vi.fn(async (_id: string) => {});
			const q = createEvaluationQueue({ evaluate, clock: Date.now, onError: () => {} });
			q.at('a', Date.now() + 1000);
			q.at('b', Date.now() + 1000);
			q.at('c', Date.now() + 1000);
			q.cancel('b');
			await vi.advanceTimersByTimeAsync(999);
			expect(evaluate).not.toHaveBeenCalled();
			await vi.advanceTimersByTimeAsync(30);
			expect(evaluate.mock.calls.map((c) => c[0]).sort()).toEqual(['a', 'c']);
			q.at('a', Date.now() + 1000);
			q.stop();
			q.schedule('c');
			await vi.advanceTimersByTimeAsync(2000);
			expect(evaluate).toHaveBeenCalledTimes(2);
		} finally {
			vi.useRealTimers();
		}
	});
});
