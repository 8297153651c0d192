import { describe, expect, it } from 'vitest';
import { createRetryClock, retryDelayMs } from './retry';

describe('retry delay while an outside system is down', () => {
	it.each([
		// [failures in a row, wait] with a 5 s interval and the 60 s ceiling
		[1, 5_000], // the first failure: the normal interval
		[2, 10_000],
		[3, 20_000],
		[4, 40_000],
		[5, 60_000], // 80 s capped: once a minute
		[500, 60_000] // hours down: still once a minute
	])('after %i failures: waits %i ms', (failures, wait) => {
		expect(retryDelayMs({ baseMs: 5_000, failures })).toBe(wait);
	});

	it('never waits less than the interval, even when it is above the ceiling', () => {
		expect(retryDelayMs({ baseMs: 300_000, failures: 9 })).toBe(300_000);
	});

	it('counts failures in a row and starts again after a success', () => {
		const clock = createRetryClock({ baseMs: 15_000 });
		expect([clock.failed(), clock.failed(), clock.failed(), clock.failed()]).toEqual([
			15_000, 30_000, 60_000, 60_000
		]);
		clock.ok();
		expect(clock.failures).toBe(0);
		expect(clock.failed()).toBe(15_000); // a new outage
	});
});
