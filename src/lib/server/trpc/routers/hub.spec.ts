// hub.live through the real router over a stub overview: the first push holds the rows read at
// subscription and the refreshes that arrived while they were read (no second push for those);
// later refreshes push again, and a host removed from the registry leaves the rows.
import { describe, expect, it } from 'vitest';
import type { Context } from '../init';
import type { OverviewRow } from '../../hub/types';
import { callerAs } from '../../../../../tests/helpers/services';

const row = (hostId: string, reason = 'stub') =>
	({
		hostId,
		name: hostId,
		kind: 'vmwarden',
		state: 'unavailable',
		reason,
		lastGoodAt: null
	}) as unknown as OverviewRow;

function stubOverview(initial: OverviewRow[]) {
	const listeners = new Set<(r: OverviewRow) => void>();
	let list = initial;
	let duringRead: (() => void) | null = null;
	return {
		listeners,
		setList: (rows: OverviewRow[]) => (list = rows),
		/** runs once, inside the next rows() read (before it answers) */
		onNextRead: (fn: () => void) => (duringRead = fn),
		refresh: (r: OverviewRow) => listeners.forEach((fn) => fn(r)),
		overview: {
			rows: async () => {
				const fn = duringRead;
				duringRead = null;
				fn?.();
				await new Promise((r) => setTimeout(r, 5));
				return list;
			},
			subscribe: (fn: (r: OverviewRow) => void) => {
				listeners.add(fn);
				return () => listeners.delete(fn);
			}
		}
	};
}

describe('hub.live', () => {
	it('first push: the rows and what refreshed meanwhile, once; then a push per refresh, without removed hosts', async () => {
		const stub = stubOverview([row('a'), row('b')]);
		const services = {
			config: { hostId: 'a' },
			hub: { overview: stub.overview }
		} as unknown as Context['services'];
		const ac = new AbortController();
		const it = (
			await callerAs({ role: 'viewer', via: 'token' }, { services, signal: ac.signal }).hub.live()
		)[Symbol.asyncIterator]();

		stub.onNextRead(() => stub.refresh(row('b', 'refreshed while the list was read')));
		const first = (await it.next()).value as OverviewRow[];
		expect(first.map((r) => [r.hostId, (r as { reason: string }).reason])).toEqual([
			['a', 'stub'],
			['b', 'refreshed while the list was read']
		]);

		// nothing changed since: the next push waits for a refresh (b is removed from the registry meanwhile)
		const next = it.next();
		const early = await Promise.race([
			next.then(() => 'pushed'),
			new Promise((r) => setTimeout(() => r('waiting'), 100))
		]);
		expect(early).toBe('waiting');
		stub.setList([row('a')]);
		stub.refresh(row('a', 'refreshed'));
		expect(
			((await next).value as OverviewRow[]).map((r) => [r.hostId, (r as { reason: string }).reason])
		).toEqual([['a', 'refreshed']]);

		ac.abort();
		expect(await it.next()).toMatchObject({ done: true });
		expect(stub.listeners.size).toBe(0);
	});
});
