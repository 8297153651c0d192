import { describe, expect, it } from 'vitest';
import {
	createHashGate,
	HashingBusyError,
	hashPassword,
	needsRehash,
	verifyPassword
} from './passwords';
import { SCRYPT_TEST_TIMEOUT_MS } from '../../../../tests/helpers/timeouts';

describe('password hashing', { timeout: SCRYPT_TEST_TIMEOUT_MS }, () => {
	it('verifies the right password and refuses a wrong one', async () => {
		const stored = await hashPassword('correct horse battery');
		expect(stored).toMatch(/^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+$/);
		expect(needsRehash(stored)).toBe(false);
		expect(needsRehash(stored.replace('$32768$', '$16384$'))).toBe(true);
		expect(await verifyPassword('correct horse battery', stored)).toBe(true);
		expect(await verifyPassword('correct horse batterx', stored)).toBe(false);
	});

	const slowCheck =
		(gate: ReturnType<typeof createHashGate>, seen: { concurrent: number; peak: number }) => () =>
			gate(async () => {
				seen.peak = Math.max(seen.peak, ++seen.concurrent);
				await new Promise((r) => setTimeout(r, 5));
				seen.concurrent--;
				return 'checked';
			});
	const admitted = (o: PromiseSettledResult<unknown>[]) =>
		o.filter((x) => x.status === 'fulfilled').length;
	const busy = (o: PromiseSettledResult<unknown>[]) =>
		o.filter((x) => x.status === 'rejected' && x.reason instanceof HashingBusyError).length;

	it('the gate runs one check at a time and queues at most 4; the rest are refused at once', async () => {
		const seen = { concurrent: 0, peak: 0 };
		const work = slowCheck(createHashGate({ maxWaiting: 4, burst: 100 }), seen);
		const outcomes = await Promise.allSettled(Array.from({ length: 20 }, work));
		// 1 running + 4 waiting
		expect([admitted(outcomes), busy(outcomes), seen.peak]).toEqual([5, 15, 1]);
	});

	it('the gate allows a burst of 8, then 4 per second', async () => {
		let now = 0;
		const work = slowCheck(
			createHashGate({ maxWaiting: 100, burst: 8, perSecond: 4, now: () => now }),
			{ concurrent: 0, peak: 0 }
		);
		const first = await Promise.allSettled(Array.from({ length: 20 }, work));
		expect([admitted(first), busy(first)]).toEqual([8, 12]);
		// Half a second later: 0.5 s × 4/s = 2 more.
		now = 500;
		const later = await Promise.allSettled(Array.from({ length: 5 }, work));
		expect([admitted(later), busy(later)]).toEqual([2, 3]);
	});
});
