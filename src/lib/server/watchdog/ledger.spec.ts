import { describe, expect, it } from 'vitest';
import { createRestartLedger } from './ledger';

describe('restart ledger', () => {
	it('counts per key and mode, and drops restarts older than the window', () => {
		const l = createRestartLedger(1000);
		l.add('name:a', 100, false);
		l.add('name:a', 600, true);
		l.add('name:b', 900, false);
		expect(l.of('name:a', false)).toEqual([100]);
		expect(l.of('name:a', true)).toEqual([600]);
		l.prune(1100); // floor 100: a restart exactly at the floor is out
		expect(l.of('name:a', false)).toEqual([]);
		expect(l.host(false)).toEqual([900]);
	});

	it('a restart that helped (healthy after) leaves the host-wide cap; unhealthy again puts it back', () => {
		const l = createRestartLedger(10_000);
		l.add('name:a', 1, false);
		l.add('name:a', 2, false);
		l.judge('name:a', 'healthy'); // judges the latest one only
		expect(l.host(false)).toEqual([1]);
		l.judge('name:a', 'starting'); // no verdict
		expect(l.host(false)).toEqual([1]);
		l.judge('name:a', 'unhealthy');
		expect(l.host(false)).toEqual([1, 2]);
		// the key's own budget counts every restart, helped or not
		l.judge('name:a', 'healthy');
		expect(l.of('name:a', false)).toEqual([1, 2]);
	});

	it('loads stored restarts in time order, not judged yet', () => {
		const l = createRestartLedger(10_000);
		l.add('name:a', 50, false);
		l.load([
			{ key: 'name:b', ts: 30, dryRun: false },
			{ key: 'name:c', ts: 10, dryRun: false }
		]);
		expect(l.host(false)).toEqual([10, 30, 50]);
		l.prune(10_020); // floor 20: only the first is gone, so the order was kept
		expect(l.host(false)).toEqual([30, 50]);
	});
});
