// `--all-hosts`: the worst exit across hosts, and one block per host (an unavailable host says
// why and how old its last good answer is, then that answer).
import { describe, expect, it } from 'vitest';
import { runOnAllHosts, worstExit } from './commands/all-hosts';
import { unhealthyExit } from './commands/containers';
import type { CliContext } from './context';

describe('worstExit', () => {
	it.each([
		[[], 0],
		[[0, 0], 0],
		[[0, 1], 1],
		[[1, 3], 3],
		[[3, 2, 1], 2], // CRIT is worse than UNKNOWN
		[[0, 3], 3]
	])('%j -> %i', (codes, worst) => expect(worstExit(codes)).toBe(worst));
});

describe('runOnAllHosts', () => {
	const entries = [
		{
			hostId: 'hub',
			name: 'Hub',
			kind: 'local',
			state: 'ok',
			data: { state: 'ok', data: [], at: 1 },
			at: 1
		},
		{
			hostId: 'vm2',
			name: 'VM 2',
			kind: 'vmwarden',
			state: 'ok',
			data: {
				state: 'ok',
				data: [{ name: 'web', unhealthySince: null, failingStreak: 4, restartCount: 1 }],
				at: 1
			},
			at: 1
		},
		{
			hostId: 'vm3',
			name: 'VM 3',
			kind: 'vmwarden',
			state: 'unavailable',
			reason: 'VM 3 did not answer within 500 ms',
			lastGood: { state: 'ok', data: [], at: 0 },
			lastGoodAt: Date.UTC(2026, 0, 2, 3, 4, 5),
			at: 2
		}
	];
	const ctx = (json: boolean) => {
		const out: string[] = [];
		const asked: unknown[] = [];
		const client = {
			hub: { all: { query: async (i: unknown) => (asked.push(i), entries) } }
		} as unknown as CliContext['client'];
		return {
			out,
			asked,
			c: {
				client,
				flags: (json ? { json: true } : {}) as CliContext['flags'],
				out: (l: string) => out.push(l)
			}
		};
	};
	const format = (a: { state: string; data?: { name: string }[] }) =>
		a.data?.length ? a.data.map((x) => `  ${x.name}`).join('\n') : '  none';

	it('prints one block per host in the hub’s order and exits with the worst (vm2 unhealthy: 2)', async () => {
		const t = ctx(false);
		expect(
			await runOnAllHosts(t.c, 'containers.unhealthy', undefined, format, unhealthyExit as never)
		).toBe(2);
		expect(t.asked).toEqual([{ procedure: 'containers.unhealthy', input: undefined }]);
		expect(t.out).toEqual([
			'== Hub (hub, local) ==\n  none',
			'== VM 2 (vm2, vmwarden) ==\n  web',
			'== VM 3 (vm3, vmwarden) ==\n  UNAVAILABLE: VM 3 did not answer within 500 ms\n  last good answer: 2026-01-02T03:04:05.000Z\n  none'
		]);
	});

	it('--json prints the entries as one JSON line', async () => {
		const t = ctx(true);
		expect(await runOnAllHosts(t.c, 'containers.unhealthy', undefined, format, () => 0)).toBe(3); // vm3 unavailable
		expect(t.out).toHaveLength(1);
		expect(JSON.parse(t.out[0])).toEqual(entries);
	});
});
