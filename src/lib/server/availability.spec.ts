import { describe, expect, it } from 'vitest';
import { createAvailability, reasonOf } from './availability';

describe('availability', () => {
	it('keeps the last good data and its time through failures', () => {
		let t = 1_000;
		const a = createAvailability<number[]>(() => t);
		expect(a.fail(new Error('down'))).toEqual({
			state: 'unavailable',
			reason: 'down',
			lastGood: null,
			lastGoodAt: null,
			at: 1_000
		});
		t = 2_000;
		expect(a.ok([1])).toEqual({ state: 'ok', data: [1], at: 2_000 });
		t = 3_000;
		expect(a.fail(new Error('socket', { cause: new Error('ECONNREFUSED') }))).toEqual({
			state: 'unavailable',
			reason: 'socket: ECONNREFUSED',
			lastGood: [1],
			lastGoodAt: 2_000,
			at: 3_000
		});
	});

	it('describes non-errors', () => {
		expect(reasonOf('plain')).toBe('plain');
	});

	it('says a message repeated by its wrapper once (tRPC and fetch both say "fetch failed")', () => {
		const refused = new Error('connect ECONNREFUSED 127.0.0.1:1');
		expect(
			reasonOf(new Error('fetch failed', { cause: new Error('fetch failed', { cause: refused }) }))
		).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:1');
		expect(
			reasonOf(new Error('listContainers', { cause: new Error('socket', { cause: refused }) }))
		).toBe('listContainers: socket: connect ECONNREFUSED 127.0.0.1:1');
	});
});
