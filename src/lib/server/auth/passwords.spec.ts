import { describe, expect, it } from 'vitest';
import { HashingBusyError, hashPassword, verifyPassword } from './passwords';

describe('password hashing', () => {
	it('verifies the right password and refuses a wrong one', async () => {
		const stored = await hashPassword('correct horse battery');
		expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
		expect(await verifyPassword('correct horse battery', stored)).toBe(true);
		expect(await verifyPassword('correct horse batterx', stored)).toBe(false);
	});

	it('runs one scrypt at a time with 8 waiting; a flood beyond that is refused at once', async () => {
		const stored = await hashPassword('x'.repeat(12));
		// 20 at once: 1 running + 8 queued are evaluated, the other 11 refused (HashingBusyError).
		const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => verifyPassword('wrong', stored)));
		const busy = outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof HashingBusyError);
		expect(busy).toHaveLength(11);
		expect(outcomes.filter((o) => o.status === 'fulfilled' && o.value === false)).toHaveLength(9);
		// The queue drained: the next check runs.
		expect(await verifyPassword('x'.repeat(12), stored)).toBe(true);
	});
});
