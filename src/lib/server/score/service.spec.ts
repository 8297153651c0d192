// The score service over a real migrated SQLite file, with sources given as plain functions:
// what changes when, how often the disk trend is read, what is stored and pruned.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDb } from '../../../../tests/helpers/db';
import type { HostSample } from '$lib/health';
import type { TrendAnswer } from '$lib/trends';
import { createLogger } from '../log';
import { createScoreService } from './service';
import { createScoreStore } from './store';
import { DEFAULT_BOUNDARIES } from './score';
import type { ScoreSources } from './inputs';
import { rankMemoryGrowth } from '../memory/attribution';
import type { ContainerInfo } from '../docker/model';
import type { Availability } from '../availability';

const GiB = 1024 ** 3;
const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);

describe('score service', () => {
	let t: Awaited<ReturnType<typeof freshDb>>;
	beforeEach(async () => (t = await freshDb()));
	afterEach(async () => t.cleanup());

	function setup({
		refreshMs = 30_000,
		memAvailableBytes = 10 * GiB,
		...over
	}: Partial<ScoreSources> & { refreshMs?: number; memAvailableBytes?: number } = {}) {
		let now = T0;
		let trendReads = 0;
		let computes = 0;
		let containers: Availability<ContainerInfo[]> = { state: 'ok', data: [], at: T0 };
		const sample: HostSample = {
			ts: T0,
			cpu: { ok: true, stealPct: 1, busyPct: 5, intervalMs: 5000, perCpu: [] },
			load: { ok: true, load1: 0.1, load5: 0.1, load15: 0.1, cpuCount: 2 },
			memory: {
				ok: true,
				memTotalBytes: 16 * GiB,
				memAvailableBytes,
				swapTotalBytes: 0,
				swapUsedBytes: 0,
				swapCachedBytes: 0
			},
			disks: [
				{
					mount: '/',
					figures: { ok: true, totalBytes: 100, usedBytes: 30, availBytes: 70, usedPct: 30 }
				}
			]
		};
		const sources: ScoreSources = {
			hostId: 'vm',
			boundaries: DEFAULT_BOUNDARIES,
			sampleIntervalMs: 5000,
			sampler: {
				latest: () => ({ ...sample, ts: now }),
				recent: () => [{ ...sample, ts: now }],
				stats: () => ({ lastSampleAt: now })
			},
			minutes: async () => (computes++, []),
			containers: () => containers,
			maintenance: async () =>
				({
					history: { found: { cron: false, cleanup: true, cleanupLog: false }, logDir: '/l' },
					lastCleanup: { start: new Date(now - 86_400_000).toISOString(), freedBytes: 5 }
				}) as never,
			ollamaMemory: async () => ({
				picture: { freeBytes: 10 * GiB, models: [] } as never,
				ollama: { state: 'ok', data: [], at: now }
			}),
			diskTrend: async (): Promise<TrendAnswer> => {
				trendReads++;
				return {
					state: 'unavailable',
					reason: 'no prometheus',
					lastGood: null,
					lastGoodAt: null,
					at: now
				};
			},
			...over
		};
		const service = createScoreService({
			sources,
			store: createScoreStore(t.db, 'vm'),
			intervalMs: 300_000,
			refreshMs,
			retentionMs: 7 * 86_400_000,
			now: () => now,
			log: createLogger('score-test')
		});
		return {
			service,
			tick: (ms: number) => (now += ms),
			setContainers: (c: typeof containers) => (containers = c),
			trendReads: () => trendReads,
			computes: () => computes
		};
	}

	it('recomputes in the background only while someone subscribes (an idle server reads nothing every 30 s)', async () => {
		const s = setup({ refreshMs: 40 });
		const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
		s.service.start();
		try {
			await wait(300); // ~7 intervals
			expect(s.computes()).toBe(1); // the first score, at start
			const off = s.service.subscribe(() => {});
			await wait(300);
			expect(s.computes()).toBeGreaterThanOrEqual(3);
			off();
			await wait(80); // an interval already running finishes
			const after = s.computes();
			await wait(300);
			expect(s.computes()).toBe(after);
		} finally {
			await s.service.stop();
		}
	});

	it('a poke recomputes at once for a subscriber; with none it only makes the next current() recompute', async () => {
		const s = setup();
		const first = await s.service.current();
		const n = s.computes();
		s.service.poke(); // e.g. the unhealthy count changed, nobody watching the tile
		s.service.poke();
		await new Promise((r) => setTimeout(r, 20));
		expect(s.computes()).toBe(n);
		s.tick(1_000); // well within refreshMs: without the poke current() would reuse `first`
		const second = await s.service.current();
		expect(second).not.toBe(first);
		expect(s.computes()).toBe(n + 1);
		expect(await s.service.current()).toBe(second); // and reused again until the next poke

		const off = s.service.subscribe(() => {});
		s.service.poke();
		await new Promise((r) => setTimeout(r, 20));
		expect(s.computes()).toBe(n + 2);
		off();
	});

	it('the memory dimension names what grew, traced up to the fresh sample', async () => {
		const asked: unknown[] = [];
		// 2.5 GiB available → 5/20; MemAvailable fell 3 GiB since 11:40 while a model loaded
		const s = setup({
			memoryTrace: async (current) => {
				asked.push(current);
				return rankMemoryGrowth({
					before: {
						host: {
							at: T0 - 20 * 60_000,
							memAvailableBytes: 5.5 * GiB,
							swapUsedBytes: 0,
							swapCachedBytes: 0
						},
						containers: []
					},
					after: { host: current, containers: [] },
					models: [
						{
							model: 'phi3:mini',
							loadedAt: T0 - 18 * 60_000,
							unloadedAt: null,
							sizeBytes: 2_600_000_000
						}
					]
				});
			},
			memAvailableBytes: 2.5 * GiB
		});
		const r = await s.service.current();
		expect(asked).toEqual([
			{ at: T0, memAvailableBytes: 2.5 * GiB, swapUsedBytes: 0, swapCachedBytes: 0 }
		]);
		// demand 3 GiB = 3_221_225_472; the model explains 2_600_000_000; host other 621_225_472 (592 MiB)
		expect(r.dimensions.find((d) => d.id === 'memory')).toMatchObject({
			points: 5,
			cause:
				'MemAvailable −3.0 GiB since 11:40: phi3:mini loaded at 11:42 (2.6 GB), host other +592 MiB'
		});
	});

	it('current() reuses a score younger than refreshMs; the disk trend is read at most every 5 minutes', async () => {
		const s = setup();
		const a = await s.service.current();
		expect(a.total).toBe(100);
		s.tick(10_000);
		expect(await s.service.current()).toBe(a);
		s.tick(25_000); // 35 s: recomputed
		const b = await s.service.current();
		expect(b).not.toBe(a);
		expect(b.at).toBe(T0 + 35_000);
		expect(s.trendReads()).toBe(1);
		s.tick(5 * 60_000);
		await s.service.refresh();
		expect(s.trendReads()).toBe(2);
	});

	it('subscribers hear of a change, not of a recomputation that changed nothing', async () => {
		const s = setup();
		let calls = 0;
		s.service.subscribe(() => calls++);
		await s.service.refresh();
		await s.service.refresh();
		expect(calls).toBe(1);
		s.setContainers({
			state: 'unavailable',
			reason: 'connect ENOENT',
			lastGood: null,
			lastGoodAt: null,
			at: T0
		});
		const r = await s.service.refresh();
		expect(calls).toBe(2);
		expect(r.unknown).toEqual(['services']);
		expect(r.total).toBe(100); // 80 of 80
	});

	it('record() stores the score and prunes rows older than the retention', async () => {
		const s = setup();
		await s.service.record();
		s.tick(8 * 86_400_000); // past the 7-day retention
		await s.service.record();
		const rows = await s.service.history({ fromMs: 0, toMs: T0 + 9 * 86_400_000 });
		expect(rows).toEqual([
			{
				ts: T0 + 8 * 86_400_000,
				total: 100,
				dimensions: { cpu: 20, memory: 20, disk: 15, services: 20, maintenance: 15, llm: 10 }
			}
		]);
	});
});
