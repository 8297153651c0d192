import { describe, expect, it } from 'vitest';
import { callerKey, createConcurrencyLimit } from './expensive';

const tick = () => new Promise((r) => setImmediate(r));

describe('expensive query limit', () => {
	it('runs `running` at once per caller, queues up to maxWaiting, refuses beyond with TOO_MANY_REQUESTS', async () => {
		const limit = createConcurrencyLimit({ maxWaiting: 3 });
		const order: string[] = [];
		const releases = await Promise.all([
			limit.acquire('token:viewer', 2),
			limit.acquire('token:viewer', 2)
		]);
		const queued = [1, 2, 3].map((i) =>
			limit.acquire('token:viewer', 2).then((release) => (order.push(`q${i}`), release))
		);
		await tick();
		expect(limit.state('token:viewer')).toEqual({ running: 2, waiting: 3 });
		await expect(limit.acquire('token:viewer', 2)).rejects.toMatchObject({
			code: 'TOO_MANY_REQUESTS',
			message: expect.stringMatching(/2 run, 3 wait/)
		});
		// another caller has its own share
		const other = await limit.acquire('user:alice', 2);
		expect(order).toEqual([]);

		releases[0]();
		releases[0](); // a second release of the same turn is a no-op
		await tick();
		expect(order).toEqual(['q1']);
		releases[1]();
		await tick();
		expect(order).toEqual(['q1', 'q2']);
		(await queued[0])();
		await tick();
		expect(order).toEqual(['q1', 'q2', 'q3']);
		(await queued[1])();
		(await queued[2])();
		other();
		expect(limit.state('token:viewer')).toEqual({ running: 0, waiting: 0 });
	});

	it('a waiting call whose request is cancelled leaves the queue', async () => {
		const limit = createConcurrencyLimit({ maxWaiting: 1 });
		const release = await limit.acquire('k', 1);
		const ac = new AbortController();
		const waiting = limit.acquire('k', 1, ac.signal);
		ac.abort();
		await expect(waiting).rejects.toMatchObject({ code: 'CLIENT_CLOSED_REQUEST' });
		expect(limit.state('k')).toEqual({ running: 1, waiting: 0 });
		release();
		expect(limit.state('k')).toEqual({ running: 0, waiting: 0 });
	});

	it('a released slot passes to the next waiter in a turn of the event loop of its own, not in the releasing task', async () => {
		const limit = createConcurrencyLimit();
		const release = await limit.acquire('k', 1);
		const order: string[] = [];
		const waiting = limit.acquire('k', 1).then((r) => (order.push('waiter'), r));
		await tick();
		release();
		for (let i = 0; i < 10; i++) await Promise.resolve(); // the releasing task's microtasks
		expect(order).toEqual([]);
		expect(limit.state('k')).toEqual({ running: 1, waiting: 1 });
		await tick();
		expect(order).toEqual(['waiter']);
		(await waiting)();
		expect(limit.state('k')).toEqual({ running: 0, waiting: 0 });

		// cancelled between the release and its turn: the slot is freed, not kept for it
		const again = await limit.acquire('k', 1);
		const ac = new AbortController();
		const cancelled = limit.acquire('k', 1, ac.signal);
		await tick();
		again();
		ac.abort();
		await expect(cancelled).rejects.toMatchObject({ code: 'CLIENT_CLOSED_REQUEST' });
		await tick();
		expect(limit.state('k')).toEqual({ running: 0, waiting: 0 });
	});

	it.each([
		[{ role: 'viewer', via: 'token' } as const, 'token:viewer'],
		[{ role: 'viewer', via: 'token', tokenId: 7, onBehalfOf: 'alice@hub' } as const, 'token:#7'],
		[{ role: 'operator', via: 'session', userName: 'bob', userId: 2 } as const, 'user:bob'],
		[{ role: 'admin', via: 'auth-off' } as const, 'auth-off@10.0.0.1'],
		[null, 'anonymous@10.0.0.1']
	])('callerKey(%o) = %s', (principal, key) => {
		expect(callerKey(principal, '10.0.0.1')).toBe(key);
	});
});
