import { describe, expect, it } from 'vitest';
import { createObserver, type ObserveSources } from './observe';
import type { HostSample } from '$lib/health';
import type { CronStatus } from '../maintenance/status';
import type { TrendAnswer } from '$lib/trends';

const NOW = Date.UTC(2026, 10, 30, 10);
const DAY = 86_400_000;
const sample: HostSample = {
	ts: NOW - 2000,
	cpu: { ok: true, stealPct: 8.25, busyPct: 30, intervalMs: 5000, perCpu: [] },
	load: { ok: true, load1: 1, load5: 1, load15: 1, cpuCount: 4 },
	memory: {
		ok: true,
		memTotalBytes: 16,
		memAvailableBytes: 10,
		swapTotalBytes: 8,
		swapUsedBytes: 3,
		swapCachedBytes: 2
	},
	disks: [
		{
			mount: '/',
			figures: { ok: true, totalBytes: 100, usedBytes: 40, availBytes: 60, usedPct: 40 }
		},
		{ mount: '/gone', figures: { ok: false, error: 'ENOENT' } }
	]
};
// "/" grows 2 points a day from 50 % → 70 % in 10 days from the last point; "/flat" does not grow
const disk: TrendAnswer = {
	state: 'ok',
	at: NOW,
	data: {
		series: [
			{
				key: '/',
				label: '/',
				points: Array.from(
					{ length: 8 },
					(_, i) => [NOW - (7 - i) * DAY, 36 + 2 * i] as [number, number]
				)
			},
			{
				key: '/flat',
				label: '/flat',
				points: Array.from({ length: 8 }, (_, i) => [NOW - (7 - i) * DAY, 20] as [number, number])
			}
		]
	} as never
};

function src(over: Partial<ObserveSources> = {}): ObserveSources {
	return {
		sample: () => sample,
		maxSampleAgeMs: 15_000,
		containers: () => ({
			state: 'ok',
			at: NOW,
			data: [
				{ name: 'a', health: 'unhealthy' },
				{ name: 'b', health: null }
			] as never
		}),
		dockerAsked: () => true,
		cron: async () =>
			({
				jobs: [
					{ name: 'x', enabled: true, state: 'missed', reason: 'r' },
					{ name: 'off', enabled: false, state: 'missed', reason: 'r' }
				],
				recentCleanups: [
					{ id: 'd', dryRun: true, start: 's0', status: 'failed' },
					{ id: 'r', dryRun: false, start: 's1', status: 'ok' }
				]
			}) as unknown as CronStatus,
		trends: {
			series: async ({ metric }) => {
				if (metric !== 'io') return disk;
				// one spike today, one yesterday (not reported)
				const spikes = [
					{
						series: 'invttrdg-backend',
						dayStartMs: Date.UTC(2026, 10, 30),
						bytes: 9,
						medianBytes: 2,
						ratio: 4.5
					},
					{
						series: 'old',
						dayStartMs: Date.UTC(2026, 10, 29),
						bytes: 9,
						medianBytes: 2,
						ratio: 4.5
					}
				];
				return { state: 'ok', at: NOW, data: { series: [], spikes } as never };
			}
		},
		diskFillPct: 70,
		prometheusUp: null,
		...over
	};
}

describe('observer', () => {
	it('asks for the memory trace ending at the fresh sample, and gives none when the trace fails', async () => {
		const asked: unknown[] = [];
		const trace = {
			fromMs: NOW - 600_000,
			toMs: sample.ts,
			swapDeltaBytes: 1,
			memAvailableDeltaBytes: 0,
			swapCachedDeltaBytes: 0,
			demandBytes: 1,
			growers: [],
			freed: []
		};
		const o = await createObserver(
			src({ memoryTrace: async (now, current) => (asked.push([now, current]), trace) })
		)(NOW);
		expect(asked).toEqual([
			[NOW, { at: sample.ts, memAvailableBytes: 10, swapUsedBytes: 3, swapCachedBytes: 2 }]
		]);
		expect(o.memoryTrace).toBe(trace);
		const failed = await createObserver(
			src({ memoryTrace: async () => Promise.reject(new Error('db locked')) })
		)(NOW);
		expect(failed.memoryTrace).toBeNull();
	});

	it('reads each domain into the observation', async () => {
		const o = await createObserver(src())(NOW);
		expect(o).toEqual({
			at: NOW,
			stealPct: 8.25,
			swapUsedBytes: 3,
			swapCachedBytes: 2,
			memAvailableBytes: 10,
			disks: [{ mount: '/', usedPct: 40 }],
			// from 50 % at the last point, +2/day: 70 % in 10 days; /flat is not growing
			diskFillDays: [
				{ mount: '/', days: expect.closeTo(10, 6) },
				{ mount: '/flat', days: null }
			],
			unhealthy: ['a'],
			dockerUp: true,
			prometheusUp: null,
			cronJobs: [{ name: 'x', state: 'missed', reason: 'r' }],
			lastCleanup: { id: 'r', start: 's1', status: 'ok' },
			ioSpikes: [{ container: 'invttrdg-backend', bytes: 9, ratio: 4.5 }]
		});
	});

	it('a stale sample, Docker not asked yet, a cron error and Prometheus down give no readings but "down" where known', async () => {
		const o = await createObserver(
			src({
				sample: () => ({ ...sample, ts: NOW - 60_000 }),
				containers: () => ({
					state: 'unavailable',
					reason: 'x',
					lastGood: null,
					lastGoodAt: null,
					at: NOW
				}),
				dockerAsked: () => false,
				cron: async () => {
					throw new Error('x');
				},
				prometheusUp: async () => false
			})
		)(NOW);
		expect([
			o.stealPct,
			o.swapUsedBytes,
			o.memAvailableBytes,
			o.disks,
			o.unhealthy,
			o.dockerUp,
			o.cronJobs,
			o.lastCleanup,
			o.prometheusUp
		]).toEqual([null, null, null, [], null, null, null, null, false]);
	});
});
