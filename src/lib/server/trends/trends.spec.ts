// Which series a host's trend asks the shared PromQL store for (issue 15): the real PromQL client
// over a fetch that records each query and answers one matrix. The filtering itself, against a real
// Prometheus holding three hosts, is tests/integration/trends-hosts.test.ts.
import { describe, expect, it } from 'vitest';
import { createTrends } from './trends';
import { createPromClient } from '../prometheus/client';
import { DEFAULT_THRESHOLDS } from '../host/thresholds';
import { TREND_IDS } from '$lib/trends';

const NOW = 1_780_000_000_000;

function recordingTrends(opts: { hostLabel?: string; prom?: boolean } = {}) {
	const queries: string[] = [];
	const prom = createPromClient({
		baseUrl: 'http://127.0.0.1:1',
		now: () => NOW,
		fetch: async (_url, init) => {
			queries.push(new URLSearchParams(String(init?.body)).get('query')!);
			const result = [
				{
					metric: { mountpoint: '/', name: 'web' },
					values: [
						[NOW / 1000 - 60, '1'],
						[NOW / 1000, '2']
					]
				}
			];
			return new Response(
				JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } })
			);
		}
	});
	const trends = createTrends({
		prom: opts.prom === false ? null : prom,
		selectors: {
			node: 'job="node"',
			cadvisor: 'job="cadvisor"',
			vmwarden: 'job="vmwarden"',
			hostId: 'hub.1'
		},
		hostLabel: opts.hostLabel,
		thresholds: DEFAULT_THRESHOLDS,
		local: { minutes: async () => [], rollups: async () => [], rawRetentionMs: 86_400_000 },
		spikeFactor: 3,
		cpuCount: () => 4,
		deploys: async () => [{ atMs: NOW - 1000, container: 'web', image: 'web:2' }],
		now: () => NOW
	});
	return { trends, queries };
}

describe('trends of several hosts from one store', () => {
	it.each(TREND_IDS)(
		'%s: every selector of the own host matches its id (dot escaped) or no label',
		async (metric) => {
			const { trends, queries } = recordingTrends();
			const a = await trends.series({ metric, range: '24h' });
			expect(a.state).toBe('ok');
			expect(queries.length).toBeGreaterThan(0);
			// every metric selector {…} in every query carries the own-host matcher: regex hub\.1| in a PromQL string
			for (const q of queries) {
				const selectors = q.match(/\{[^}]*\}/g)!;
				expect(selectors.length).toBeGreaterThan(0);
				for (const s of selectors) expect(s).toContain('host_id=~"hub\\\\.1|"');
			}
		}
	);

	it.each(TREND_IDS)(
		'%s: another host matches exactly its id, under the configured label',
		async (metric) => {
			const { trends, queries } = recordingTrends({ hostLabel: 'vm' });
			await trends.series({ metric, range: '7d', hostId: 'vm.2' });
			for (const q of queries)
				for (const s of q.match(/\{[^}]*\}/g)!) {
					expect(s).toContain('vm="vm.2"');
					expect(s).not.toContain('host_id');
					expect(s).not.toContain('=~"vm');
				}
		}
	);

	it("another host's trend has no deploy markers or CPU-based thresholds of this host; last good data is per host", async () => {
		const { trends } = recordingTrends();
		const own = await trends.series({ metric: 'load', range: '24h' });
		const other = await trends.series({ metric: 'load', range: '24h', hostId: 'vm2' });
		if (own.state !== 'ok' || other.state !== 'ok') throw new Error('expected ok');
		expect(own.data.deploys).toEqual([{ atMs: NOW - 1000, container: 'web', image: 'web:2' }]);
		// DEFAULT load thresholds per CPU times cpuCount 4, only for the own host
		expect(own.data.thresholds.map((t) => t.value)).toEqual([
			DEFAULT_THRESHOLDS.loadPerCpuWarn * 4,
			DEFAULT_THRESHOLDS.loadPerCpuCrit * 4
		]);
		expect(other.data.deploys).toEqual([]);
		expect(other.data.thresholds).toEqual([]);
	});

	it('without a PromQL store another host is unavailable with the reason; the own host uses the local history', async () => {
		const { trends } = recordingTrends({ prom: false });
		expect(await trends.series({ metric: 'load', range: '24h', hostId: 'vm2' })).toEqual({
			state: 'unavailable',
			reason: expect.stringMatching(
				/^trends of host "vm2" need a PromQL store .*VMW_PROMETHEUS_URL/
			),
			lastGood: null,
			lastGoodAt: null,
			at: NOW
		});
		expect(await trends.series({ metric: 'load', range: '24h' })).toMatchObject({
			state: 'ok',
			data: { source: 'local' }
		});
	});

	it('refuses a host label PromQL cannot parse at creation', () => {
		expect(() => recordingTrends({ hostLabel: 'host-id' })).toThrow(/label name/);
	});
});

describe('io from the local container history', () => {
	it('draws the 8 heaviest writers and the rest as one line, after finding spikes on every container', async () => {
		const DAY = 86_400_000;
		const HOUR = 3_600_000;
		// 12 containers writing 1..12 B/s every hour for 7 days; the lightest ('c01') has one day at 10× (its mean, ~2.3 B/s, still among the lightest)
		const lines = Array.from({ length: 12 }, (_, i) => {
			const key = `c${String(i + 1).padStart(2, '0')}`;
			const points: [number, number][] = [];
			for (let t = NOW - 7 * DAY + HOUR; t <= NOW; t += HOUR)
				points.push([t, (i + 1) * (i === 0 && t > NOW - 2 * DAY && t <= NOW - DAY ? 10 : 1)]);
			return { key, label: key, points };
		});
		const trends = createTrends({
			prom: null,
			selectors: { node: '', cadvisor: '', vmwarden: '', hostId: 'vm' },
			thresholds: DEFAULT_THRESHOLDS,
			local: {
				minutes: async () => [],
				rollups: async () => [],
				rawRetentionMs: 8 * DAY,
				containerWrites: async () => lines
			},
			spikeFactor: 3,
			cpuCount: () => 4,
			now: () => NOW
		});
		const a = await trends.series({ metric: 'io', range: '7d' });
		if (a.state !== 'ok') throw new Error(`not ok: ${JSON.stringify(a)}`);
		expect(a.data.series.map((s) => s.key)).toEqual([
			'c12',
			'c11',
			'c10',
			'c09',
			'c08',
			'c07',
			'c06',
			'c05',
			'__other__'
		]);
		expect(a.data.series.at(-1)!.label).toBe('other containers (4)');
		// the folded container's spike is still found and named
		expect(a.data.spikes!.map((s) => s.series)).toContain('c01');
	});
});
