// The ranking over held numbers with a known answer. Every expected figure is derived in the
// comments from the inputs above it.
import { describe, expect, it } from 'vitest';
import { describeTrace, leadOf, rankMemoryGrowth, topGrower, type HostMemory } from './attribution';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const T0 = Date.UTC(2026, 11, 7, 3, 0); // 03:00 UTC
const min = (m: number) => T0 + m * 60_000;
const host = (
	at: number,
	memAvailableBytes: number | null,
	swapUsedBytes: number | null,
	swapCachedBytes: number | null = 0
): HostMemory => ({ at, memAvailableBytes, swapUsedBytes, swapCachedBytes });

describe('rankMemoryGrowth', () => {
	it("names the issue's example: the model first, then the container, then what no container explains", () => {
		// demand = model 2.6e9 + backend 380 MiB + postgres 0.4 MiB + host other ≈ 40 MiB
		//        = 2_600_000_000 + 398_458_880 + 419_430 + 41_523_610 = 3_040_401_920
		// swap grew 1_288_490_189 (1.2 GiB), so MemAvailable fell 3_040_401_920 − 1_288_490_189 = 1_751_911_731
		const t = rankMemoryGrowth({
			before: {
				host: host(T0, 6 * GiB, 512 * MiB),
				containers: [
					{ key: 'invttrdg/backend', name: 'invttrdg-backend', rssBytes: 500 * MiB },
					{ key: 'db/postgres', name: 'postgres', rssBytes: 300 * MiB }
				]
			},
			after: {
				host: host(min(10), 6 * GiB - 1_751_911_731, 512 * MiB + 1_288_490_189),
				containers: [
					{ key: 'invttrdg/backend', name: 'invttrdg-backend', rssBytes: 880 * MiB },
					// breathing: +0.4 MiB is under the 1 MiB noise floor, named nowhere but still accounted
					{ key: 'db/postgres', name: 'postgres', rssBytes: 300 * MiB + 419_430 }
				]
			},
			models: [{ model: 'phi3:mini', loadedAt: min(2), unloadedAt: null, sizeBytes: 2_600_000_000 }]
		});
		expect(t.demandBytes).toBe(3_040_401_920);
		expect(t.growers).toEqual([
			{ kind: 'model', name: 'phi3:mini', bytes: 2_600_000_000, at: min(2) },
			{ kind: 'container', name: 'invttrdg-backend', bytes: 380 * MiB },
			// 3_040_401_920 − 2_600_000_000 − 398_458_880 − 419_430 = 41_523_610 (39.6 MiB)
			{ kind: 'host', name: 'host other', bytes: 41_523_610 }
		]);
		expect(t.freed).toEqual([]);
		expect(describeTrace(t)).toBe(
			'Swap +1.2 GiB since 03:00: phi3:mini loaded at 03:02 (2.6 GB), invttrdg-backend +380 MiB, host other +40 MiB'
		);
		expect(topGrower(t)).toBe('phi3:mini loaded at 03:02 (2.6 GB)');
	});

	it('a restarted container whose RSS fell is not a grower, a new one counts from zero, an unloaded model gives its size back', () => {
		const t = rankMemoryGrowth({
			before: {
				host: host(T0, 4 * GiB, 0),
				containers: [
					{ key: 'jobs/worker', name: 'jobs-worker-1', rssBytes: 700 * MiB },
					{ key: 'web/api', name: 'web-api-1', rssBytes: 200 * MiB },
					{ key: 'old-sidecar', name: 'old-sidecar', rssBytes: 50 * MiB }
				]
			},
			after: {
				// MemAvailable fell 300 MiB, swap +0: demand 300 MiB
				host: host(min(30), 4 * GiB - 300 * MiB, 0),
				containers: [
					// restarted at 03:12: 700 → 120 MiB
					{ key: 'jobs/worker', name: 'jobs-worker-1', rssBytes: 120 * MiB },
					{ key: 'web/api', name: 'web-api-1', rssBytes: 450 * MiB },
					// created at 03:20, absent from the first snapshot: +90 MiB from zero
					{ key: 'cache/redis', name: 'cache-redis-1', rssBytes: 90 * MiB }
				]
			},
			models: [
				// loaded hours before, unloaded at 03:05: gives 1.2 GB back
				{
					model: 'qwen2.5-coder:1.5b',
					loadedAt: T0 - 3 * 3_600_000,
					unloadedAt: min(5),
					sizeBytes: 1_200_000_000
				},
				// came and went inside the window: nothing of it remains at 03:30
				{ model: 'llama3.2:1b', loadedAt: min(8), unloadedAt: min(14), sizeBytes: 1_300_000_000 },
				// loaded at 03:25, size not recorded (an older poller row)
				{ model: 'tinyllama', loadedAt: min(25), unloadedAt: null, sizeBytes: null },
				// loaded before the window and still loaded: not a change in it
				{
					model: 'nomic-embed-text',
					loadedAt: T0 - 60_000,
					unloadedAt: null,
					sizeBytes: 300_000_000
				}
			]
		});
		// explained = worker −580 MiB + api +250 MiB + redis +90 MiB − sidecar 50 MiB − qwen 1.2e9
		//           = −290 MiB − 1_200_000_000 = −304_087_040 − 1_200_000_000 = −1_504_087_040
		// host other = 300 MiB − (−1_504_087_040) = 314_572_800 + 1_504_087_040 = 1_818_659_840
		expect(t.growers).toEqual([
			{ kind: 'host', name: 'host other', bytes: 1_818_659_840 },
			{ kind: 'container', name: 'web-api-1', bytes: 250 * MiB },
			{ kind: 'container', name: 'cache-redis-1', bytes: 90 * MiB, note: 'new' },
			{ kind: 'model', name: 'tinyllama', bytes: 0, at: min(25), note: 'size unknown' }
		]);
		expect(t.freed).toEqual([
			{ kind: 'model', name: 'qwen2.5-coder:1.5b', bytes: 1_200_000_000, at: min(5) },
			{ kind: 'container', name: 'jobs-worker-1', bytes: 580 * MiB },
			{ kind: 'container', name: 'old-sidecar', bytes: 50 * MiB, note: 'gone' }
		]);
		expect(leadOf(t)).toBe('memAvailable');
		expect(describeTrace(t, { top: 2 })).toBe(
			'MemAvailable −300 MiB since 03:00: host other +1.7 GiB, web-api-1 +250 MiB and 2 more'
		);
	});

	it('names no host other when the host figures are unknown, and leads with SwapCached when only it rose', () => {
		const t = rankMemoryGrowth({
			before: {
				host: host(T0, null, null, 10 * MiB),
				containers: [{ key: 'a', name: 'a', rssBytes: 100 * MiB }]
			},
			after: {
				host: host(min(5), null, null, 210 * MiB),
				containers: [{ key: 'a', name: 'a', rssBytes: 400 * MiB }]
			},
			models: []
		});
		expect(t.demandBytes).toBeNull();
		expect(t.growers).toEqual([{ kind: 'container', name: 'a', bytes: 300 * MiB }]);
		expect(leadOf(t)).toBe('swapCached');
		expect(describeTrace(t)).toBe('SwapCached +200 MiB since 03:00: a +300 MiB');
	});

	it('says nothing grew when nothing did, and orders ties by name', () => {
		const flat = rankMemoryGrowth({
			before: { host: host(T0, GiB, 0), containers: [] },
			after: { host: host(min(5), GiB, 0), containers: [] },
			models: []
		});
		expect(leadOf(flat)).toBeNull();
		expect(describeTrace(flat)).toBe('MemAvailable +0 MiB since 03:00: nothing grew');
		const tie = rankMemoryGrowth({
			before: { host: host(T0, null, null), containers: [] },
			after: {
				host: host(min(5), null, null),
				containers: [
					{ key: 'z', name: 'zeta', rssBytes: 5 * MiB },
					{ key: 'a', name: 'alpha', rssBytes: 5 * MiB }
				]
			},
			models: []
		});
		expect(tie.growers.map((g) => g.name)).toEqual(['alpha', 'zeta']);
	});

	it('prints the clock in the time zone asked for', () => {
		const t = rankMemoryGrowth({
			before: { host: host(T0, GiB, 0), containers: [] },
			after: { host: host(min(5), GiB, 200 * MiB), containers: [] },
			models: []
		});
		// 03:00 UTC is 04:00 in Berlin in December (CET, UTC+1)
		expect(describeTrace(t, { tz: 'Europe/Berlin' })).toBe(
			'Swap +0.2 GiB since 04:00: host other +200 MiB'
		);
	});
});
