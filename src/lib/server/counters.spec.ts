import { describe, expect, it } from 'vitest';
import { counterDelta, counterRatePerSec } from './counters';

describe('counterDelta', () => {
	it.each([
		// [prev, next, expected]
		[100, 133, 33], // the fixture's steal column: 3563765 -> 3563798 is the same arithmetic
		[0, 0, 0], // no change is a real zero, not a reset
		[3563765, 3563798, 33],
		[500, 499, null], // went backwards: reset, not -1
		[2 ** 40, 0, null], // reboot / new cgroup
		[Number.NaN, 5, null],
		[5, Number.POSITIVE_INFINITY, null]
	])('counterDelta(%s, %s) = %s', (prev, next, expected) => {
		expect(counterDelta(prev, next)).toBe(expected);
	});
});

describe('counterRatePerSec', () => {
	it('divides the delta by the interval in seconds', () => {
		// 4096 bytes over 500 ms = 8192 B/s
		expect(counterRatePerSec({ prev: 1000, next: 5096, elapsedMs: 500 })).toBe(8192);
	});

	it('is null on a reset or a non-positive interval', () => {
		expect(counterRatePerSec({ prev: 10, next: 5, elapsedMs: 1000 })).toBeNull();
		expect(counterRatePerSec({ prev: 5, next: 10, elapsedMs: 0 })).toBeNull();
		expect(counterRatePerSec({ prev: 5, next: 10, elapsedMs: -5 })).toBeNull();
	});
});
