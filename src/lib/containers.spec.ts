import { describe, expect, it } from 'vitest';
import {
	filterRows,
	formatUptime,
	memPct,
	sortRows,
	stacksOf,
	type ContainerRow
} from './containers';

const row = (name: string, over: Partial<ContainerRow> = {}): ContainerRow => ({
	id: name,
	name,
	stack: null,
	service: null,
	image: 'img',
	state: 'running',
	health: null,
	condition: 'running',
	status: '',
	uptimeS: 10,
	restartCount: 0,
	failingStreak: 0,
	cpuPct: null,
	memUsedBytes: null,
	memLimitBytes: null,
	hasMemoryLimit: false,
	writeBps: null,
	readBps: null,
	pids: null,
	restartingSince: null,
	...over
});

const rows = [
	row('web', {
		stack: 'shop',
		condition: 'unhealthy',
		cpuPct: 5,
		hasMemoryLimit: true,
		memLimitBytes: 100,
		memUsedBytes: 50
	}),
	row('db', { stack: 'shop', condition: 'healthy', cpuPct: 50 }),
	row('worker', { stack: 'billing', condition: 'exited', uptimeS: null, image: 'acme/worker:2' }),
	row('adhoc', { cpuPct: 0 })
];

describe('containers page helpers', () => {
	it('filters by chip, stack and search (name, stack or image)', () => {
		expect(
			filterRows(rows, { chip: 'unhealthy', stack: null, search: '' }).map((r) => r.name)
		).toEqual(['web']);
		expect(
			filterRows(rows, { chip: 'noMemoryLimit', stack: null, search: '' }).map((r) => r.name)
		).toEqual(['db', 'worker', 'adhoc']);
		expect(filterRows(rows, { chip: 'all', stack: 'shop', search: '' }).map((r) => r.name)).toEqual(
			['web', 'db']
		);
		expect(
			filterRows(rows, { chip: 'all', stack: null, search: ' ACME ' }).map((r) => r.name)
		).toEqual(['worker']);
		expect(
			filterRows(rows, { chip: 'all', stack: null, search: 'bill' }).map((r) => r.name)
		).toEqual(['worker']);
	});

	it('sorts with nulls last in both directions, attention-first by condition', () => {
		expect(sortRows(rows, 'cpuPct', 'desc').map((r) => r.name)).toEqual([
			'db',
			'web',
			'adhoc',
			'worker'
		]);
		expect(sortRows(rows, 'cpuPct', 'asc').map((r) => r.name)).toEqual([
			'adhoc',
			'web',
			'db',
			'worker'
		]);
		expect(sortRows(rows, 'condition', 'asc').map((r) => r.name)).toEqual([
			'web',
			'worker',
			'adhoc',
			'db'
		]);
		expect(sortRows(rows, 'stack', 'asc').map((r) => r.name)).toEqual([
			'worker',
			'db',
			'web',
			'adhoc'
		]);
		expect(sortRows(rows, 'name', 'asc').map((r) => r.name)).toEqual([
			'adhoc',
			'db',
			'web',
			'worker'
		]);
	});

	it('stacks, uptime and memory share', () => {
		expect(stacksOf(rows)).toEqual(['billing', 'shop']);
		expect([
			formatUptime(null),
			formatUptime(45),
			formatUptime(720),
			formatUptime(3 * 3600 + 300),
			formatUptime(4 * 86_400 + 7300)
		]).toEqual(['—', '45 s', '12 min', '3 h 5 min', '4 d 2 h']);
		expect(memPct({ memUsedBytes: 50, memLimitBytes: 200 })).toBe(25);
		expect(memPct({ memUsedBytes: 500, memLimitBytes: 200 })).toBe(100);
		expect(memPct({ memUsedBytes: 50, memLimitBytes: null })).toBeNull();
	});
});
