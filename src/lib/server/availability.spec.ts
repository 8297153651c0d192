import { describe, expect, it } from 'vitest';
import { createAvailability, reasonOf } from './availability';

describe('availability', () => {
	it('keeps the last good data and its time through failures', () => {
		let t = 1_000;
		const a = createAvailability<number[]>(() => t);
		expect(a.fail(new Error('down'))).toEqual({ state: 'unavailable', reason: 'down', lastGood: null, lastGoodAt: null, at: 1_000 });
		t = 2_000;
		expect(a.ok([1])).toEqual({ state: 'ok', data: [1], at: 2_000 });
		t = 3_000;
		expect(a.fail(new Error('socket', { cause: new Error('ECONNREFUSED') }))).toEqual({ state: 'unavailable', reason: 'socket: ECONNREFUSED', lastGood: [1], lastGoodAt: 2_000, at: 3_000 });
	});

	it('describes non-errors', () => {
		expect(reasonOf('plain')).toBe('plain');
	});
});
