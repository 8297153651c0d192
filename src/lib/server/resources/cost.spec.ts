import { describe, expect, it } from 'vitest';
import { costByGroup } from './cost';

const MiB = 1024 * 1024;

describe('costByGroup', () => {
	it('sums per product label, else per stack, else (none)', () => {
		const groups = costByGroup([
			{
				name: 'trade-web',
				stack: 'trade',
				labels: { 'vmwarden.product': 'trading' },
				memUsedBytes: 30 * MiB,
				cpuPct: 2
			},
			{
				name: 'trade-api',
				stack: 'trade',
				labels: { 'vmwarden.product': 'trading' },
				memUsedBytes: 90 * MiB,
				cpuPct: 10.5
			},
			// same stack, no product label: counted under the stack
			{ name: 'trade-db', stack: 'trade', labels: {}, memUsedBytes: 145 * MiB, cpuPct: 1 },
			{ name: 'notes-web', stack: 'notes', labels: {}, memUsedBytes: 20 * MiB, cpuPct: null },
			{ name: 'adhoc', stack: null, labels: {}, memUsedBytes: null, cpuPct: 3 }
		]);
		expect(
			groups.map((g) => [
				g.group,
				g.by,
				g.memUsedBytes / MiB,
				g.cpuPct,
				g.members.map((m) => m.name)
			])
		).toEqual([
			['trade', 'stack', 145, 1, ['trade-db']],
			['trading', 'product', 120, 12.5, ['trade-api', 'trade-web']],
			['notes', 'stack', 20, 0, ['notes-web']],
			['(none)', 'none', 0, 3, ['adhoc']]
		]);
	});
});
