import { describe, expect, it } from 'vitest';
import { gatherDigest, type DigestSources } from './data';
import type { TrendAnswer, TrendData, TrendId } from '$lib/trends';
import type { CronStatus } from '../maintenance/status';
import { rankMemoryGrowth } from '../memory/attribution';

const NOW = Date.UTC(2026, 10, 30, 8); // Monday 08:00 UTC
const H = 3_600_000;
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const answer = (
	metric: TrendId,
	series: { key: string; points: [number, number][] }[]
): TrendAnswer => ({
	state: 'ok',
	at: NOW,
	data: { metric, series: series.map((s) => ({ ...s, label: s.key })) } as unknown as TrendData
});

function sources(over: Partial<DigestSources> = {}): DigestSources {
	return {
		host: 'srv1491630',
		tz: 'UTC',
		mount: '/',
		trends: {
			source: 'prometheus',
			series: async ({ metric }) =>
				metric === 'steal'
					? answer('steal', [
							{
								key: 'steal',
								points: [
									[NOW - 3 * H, 6],
									[NOW - 2 * H, 8],
									[NOW - H, 10.6]
								]
							}
						])
					: metric === 'memory'
						? answer('memory', [
								{
									key: 'available',
									points: [
										[NOW - 2 * H, 9 * GiB],
										[NOW - H, 11 * GiB]
									]
								},
								{
									key: 'swap',
									points: [
										[NOW - 2 * H, 1.4 * GiB],
										[NOW - H, 0.2 * GiB]
									]
								}
							])
						: answer('disk', [
								{ key: '/var', points: [[NOW - H, 80]] },
								{
									key: '/',
									points: [
										[NOW - 2 * H, 36],
										[NOW - H, 37.2]
									]
								}
							])
		},
		containers: () => ({
			state: 'ok',
			at: NOW,
			data: [
				{ name: 'web-2', health: 'unhealthy' },
				{ name: 'db', health: 'healthy' },
				{ name: 'web-1', health: 'unhealthy' }
			] as never
		}),
		cron: async () =>
			({
				jobs: [
					{
						name: 'cleanup-full',
						cleanupMode: 'full',
						enabled: true,
						nextRun: '2026-12-01T03:00:00.000Z',
						state: 'ok'
					},
					{
						name: 'backup',
						cleanupMode: null,
						enabled: true,
						nextRun: '2026-11-30T09:00:00.000Z',
						state: 'failed'
					}
				],
				recentCleanups: [
					{
						id: 'a',
						start: '2026-11-29T03:00:00.000Z',
						mode: 'standard',
						status: 'ok',
						freedBytes: 200 * MiB,
						dryRun: false
					},
					{
						id: 'b',
						start: '2026-11-28T03:00:00.000Z',
						mode: 'standard',
						status: 'ok',
						freedBytes: 999 * MiB,
						dryRun: true
					},
					{
						id: 'c',
						start: '2026-11-26T03:00:00.000Z',
						mode: 'weekly',
						status: 'partial',
						freedBytes: 57 * MiB,
						dryRun: false
					},
					{
						id: 'd',
						start: '2026-11-25T03:00:00.000Z',
						mode: 'full',
						status: 'failed',
						freedBytes: null,
						dryRun: false
					},
					{
						id: 'e',
						start: '2026-11-20T03:00:00.000Z',
						mode: 'full',
						status: 'ok',
						freedBytes: 5 * GiB,
						dryRun: false
					}
				]
			}) as unknown as CronStatus,
		sessions: async ({ fromMs, toMs }) =>
			fromMs === NOW - 7 * 24 * H && toMs === NOW
				? [{ model: 'qwen2.5-coder:1.5b', sessions: 3, loadedMs: 1 }]
				: [],
		...over
	};
}

describe('gatherDigest', () => {
	it('derives each figure from its domain over the last 7 days', async () => {
		expect(await gatherDigest(sources(), NOW)).toEqual({
			host: 'srv1491630',
			weekEnding: '2026-11-30',
			stealAvgPct: (6 + 8 + 10.6) / 3, // 8.2
			diskUsedPct: 37.2, // the newest point of "/" (not /var)
			freedBytes: 257 * MiB, // a + c: the dry run b, the failed d and e (before the week) do not count
			memAvailableAvgBytes: 10 * GiB,
			swapPeakBytes: 1.4 * GiB,
			swapTopGrower: null, // no swap peak source
			unhealthy: ['web-1', 'web-2'],
			llms: [{ model: 'qwen2.5-coder:1.5b', sessions: 3 }],
			cleanups: { standard: 1, weekly: 1, full: 0 },
			nextFull: '2026-12-01',
			cronProblems: ['backup'],
			source: 'Prometheus'
		});
	});

	it('names the top grower on the way to the swap peak, in the digest time zone', async () => {
		const peakAt = Date.UTC(2026, 11, 1, 2, 10); // Tuesday 02:10 UTC = 03:10 in Berlin
		const trace = rankMemoryGrowth({
			before: {
				host: {
					at: peakAt - 40 * 60_000,
					memAvailableBytes: null,
					swapUsedBytes: null,
					swapCachedBytes: null
				},
				containers: [{ key: 'inv/backend', name: 'invttrdg-backend', rssBytes: 100 * MiB }]
			},
			after: {
				host: { at: peakAt, memAvailableBytes: null, swapUsedBytes: null, swapCachedBytes: null },
				containers: [{ key: 'inv/backend', name: 'invttrdg-backend', rssBytes: 480 * MiB }]
			},
			models: []
		});
		const asked: unknown[] = [];
		const d = await gatherDigest(
			sources({ tz: 'Europe/Berlin', swapPeak: async (w) => (asked.push(w), { peakAt, trace }) }),
			NOW
		);
		expect(asked).toEqual([{ fromMs: NOW - 7 * 24 * H, toMs: NOW }]);
		expect(d.swapTopGrower).toBe('invttrdg-backend +380 MiB (peak Tue 03:10)');
		// a failing trace leaves the digest as it was
		expect(
			(
				await gatherDigest(
					sources({ swapPeak: async () => Promise.reject(new Error('locked')) }),
					NOW
				)
			).swapTopGrower
		).toBeNull();
	});

	it('says what is missing when sources are down', async () => {
		const d = await gatherDigest(
			sources({
				trends: {
					source: 'local',
					series: async () => ({
						state: 'unavailable',
						reason: 'local history unreadable: disk I/O error',
						lastGood: null,
						lastGoodAt: null,
						at: NOW
					})
				},
				containers: () => ({
					state: 'unavailable',
					reason: 'down',
					lastGood: null,
					lastGoodAt: null,
					at: NOW
				}),
				cron: async () => {
					throw new Error('no crontab');
				}
			}),
			NOW
		);
		expect([
			d.stealAvgPct,
			d.diskUsedPct,
			d.memAvailableAvgBytes,
			d.swapPeakBytes,
			d.unhealthy,
			d.nextFull,
			d.freedBytes
		]).toEqual([null, null, null, null, null, null, 0]);
		expect(d.source).toBe(
			'local history (partly unavailable: local history unreadable: disk I/O error)'
		);
	});
});
