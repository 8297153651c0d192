import { statfsSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HistoryPoint, HostSample } from '$lib/health';
import { fakeProc, type FakeProc } from '../../../../tests/helpers/proc';
import type { Logger } from '../log';
import { createSampler, type HistoryStore } from './sampler';

const GiB = 2 ** 30;
const MINUTE = 60_000;
/** A minute boundary (1_700_000_040_000 = 28_333_334 * 60_000), so arithmetic below reads plainly. */
const M0 = 28_333_334 * MINUTE;

const procs = new Map<string, FakeProc>();
afterEach(() => {
	for (const p of procs.values()) p.cleanup();
	procs.clear();
});

/** An empty fake procRoot (tests/helpers/proc.ts), removed after the test. */
function tempProcRoot(): string {
	const proc = fakeProc();
	procs.set(proc.dir, proc);
	return proc.dir;
}

function useFixture(root: string, name: 'stat' | 'meminfo' | 'loadavg', fixture: string): void {
	procs.get(root)!.use(name, fixture);
}

/** /proc/stat with one CPU whose aggregate line equals its cpu0 line. */
function writeStat(root: string, t: { user: number; idle: number; steal: number }): void {
	const cols = `${t.user} 0 0 ${t.idle} 0 0 0 ${t.steal} 0 0`;
	procs.get(root)!.write('stat', `cpu  ${cols}\ncpu0 ${cols}\nintr 0\n`);
}

function writeMeminfo(root: string, memAvailableKb: number, swapUsedKb = 0): void {
	procs
		.get(root)!
		.write(
			'meminfo',
			`MemTotal: 16000000 kB\nMemAvailable: ${memAvailableKb} kB\nSwapCached: 0 kB\nSwapTotal: 4000000 kB\nSwapFree: ${4000000 - swapUsedKb} kB\n`
		);
}

/**
 * df's Use% of the filesystem holding `p`, straight from statfs(2) and written out here
 * (not through disk.ts): used = (blocks - bfree) * bsize, usedPct = used / (used + bavail * bsize).
 */
function dfUsedPct(p: string): number {
	const s = statfsSync(p, { bigint: true });
	const used = Number((s.blocks - s.bfree) * s.bsize);
	const avail = Number(s.bavail * s.bsize);
	return (used / (used + avail)) * 100;
}

type LogFn = Logger['info'];
function spyLogger() {
	return {
		debug: vi.fn<LogFn>(),
		info: vi.fn<LogFn>(),
		warn: vi.fn<LogFn>(),
		error: vi.fn<LogFn>()
	};
}

/** The HistoryStore interface over plain arrays. */
function arrayStore() {
	const points: HistoryPoint[] = [];
	const prunes: number[] = [];
	const store: HistoryStore = {
		async insert(p) {
			points.push(p);
		},
		async pruneOlderThan(tsMs) {
			prunes.push(tsMs);
			return 0;
		}
	};
	return { store, points, prunes };
}

/** A clock the test moves by hand. */
function clock(startMs: number) {
	let t = startMs;
	return { now: () => t, set: (ms: number) => (t = ms) };
}

describe("sampler against this machine's /proc", () => {
	it('gives null steal on the first sample and real shares on the second, without a long sleep', async () => {
		const sampler = createSampler({ procRoot: '/proc', mounts: ['/'], log: spyLogger() });
		const first = await sampler.sampleOnce();
		expect(first.cpu).toMatchObject({ ok: true, stealPct: null, busyPct: null, intervalMs: null });

		await new Promise((r) => setTimeout(r, 50)); // a few USER_HZ ticks, not a 1 s sleep
		const second = await sampler.sampleOnce();
		if (!second.cpu.ok) throw new Error(second.cpu.error);
		expect(second.cpu.stealPct).not.toBeNull();
		expect(second.cpu.busyPct).not.toBeNull();
		expect(second.cpu.stealPct).toBeGreaterThanOrEqual(0);
		expect(second.cpu.stealPct).toBeLessThanOrEqual(100);
		expect(second.cpu.busyPct).toBeGreaterThanOrEqual(0);
		expect(second.cpu.busyPct).toBeLessThanOrEqual(100);
		expect(second.cpu.intervalMs).toBeGreaterThanOrEqual(45); // timers may fire a hair early against Date.now()
		expect(second.memory.ok).toBe(true);
		expect(second.load.ok).toBe(true);
		expect(second.disks).toEqual([{ mount: '/', figures: expect.objectContaining({ ok: true }) }]);
	});
});

describe('sampler over a fixture procRoot', () => {
	it('computes exactly 8.25 % steal when stat goes from the t0 to the t1 fixture', async () => {
		const root = tempProcRoot();
		useFixture(root, 'stat', 'stat.vm-steal.t0');
		useFixture(root, 'meminfo', 'meminfo.vm-swap');
		useFixture(root, 'loadavg', 'loadavg.vm');
		const t = clock(M0);
		const sampler = createSampler({ procRoot: root, mounts: [], now: t.now, log: spyLogger() });

		await sampler.sampleOnce();
		useFixture(root, 'stat', 'stat.vm-steal.t1');
		t.set(M0 + 1000);
		const s = await sampler.sampleOnce();

		// steal delta 33 / total delta 400 = 8.25 %; busy (400 - idle 168 - iowait 3) / 400 = 57.25 %
		expect(s.cpu).toMatchObject({ ok: true, stealPct: 8.25, busyPct: 57.25, intervalMs: 1000 });
		expect(s.cpu.ok && s.cpu.perCpu.map((c) => c.stealPct)).toEqual([8, 9, 8, 8]);
		expect(s.load).toEqual({ ok: true, load1: 1.82, load5: 1.64, load15: 1.51, cpuCount: 4 });
	});

	it('puts a bad file in its metric, keeps the rest, and logs a persisting failure once', async () => {
		const root = tempProcRoot();
		useFixture(root, 'stat', 'stat.truncated-mid-line');
		useFixture(root, 'meminfo', 'meminfo.vm-swap');
		useFixture(root, 'loadavg', 'loadavg.vm');
		const t = clock(M0);
		const log = spyLogger();
		const sampler = createSampler({ procRoot: root, mounts: ['/no/such/mount'], now: t.now, log });

		const s = await sampler.sampleOnce();
		t.set(M0 + 5000);
		await sampler.sampleOnce();

		expect(s.cpu).toEqual({ ok: false, error: expect.stringContaining('file truncated') });
		expect(s.memory.ok).toBe(true);
		expect(s.disks[0].figures).toEqual({
			ok: false,
			error: expect.stringMatching(/^disk \/no\/such\/mount: ENOENT/)
		});
		expect(sampler.lastGood()).toEqual({
			cpu: null,
			load: M0 + 5000,
			memory: M0 + 5000,
			disks: { '/no/such/mount': null }
		});
		expect(sampler.stats()).toMatchObject({
			samples: 2,
			lastSampleAt: M0 + 5000,
			lastErrorAt: M0 + 5000,
			running: false
		});
		expect(sampler.stats().lastError).toMatch(/ENOENT|truncated/);
		expect(log.warn).toHaveBeenCalledTimes(2); // cpu and the disk, once each over two samples

		// the file is fixed: cpu reads again, this first good reading has steal null, recovery is logged
		useFixture(root, 'stat', 'stat.vm-steal.t0');
		t.set(M0 + 10_000);
		const fixed = await sampler.sampleOnce();
		expect(fixed.cpu).toMatchObject({ ok: true, stealPct: null });
		expect(sampler.lastGood().cpu).toBe(M0 + 10_000);
		expect(log.info).toHaveBeenCalledWith('metric recovered', { metric: 'cpu' });
	});
});

describe('ring buffer, subscribers, serialisation', () => {
	function fixedRootSampler(ringSize: number, now: () => number) {
		const root = tempProcRoot();
		useFixture(root, 'stat', 'stat.vm-steal.t0');
		useFixture(root, 'meminfo', 'meminfo.vm-swap');
		useFixture(root, 'loadavg', 'loadavg.vm');
		return createSampler({ procRoot: root, mounts: [], ringSize, now, log: spyLogger() });
	}

	it('keeps the last ringSize samples, oldest first', async () => {
		const t = clock(M0);
		const sampler = fixedRootSampler(3, t.now);
		expect(sampler.latest()).toBeNull();
		for (let i = 0; i < 5; i++) {
			t.set(M0 + i * 1000);
			await sampler.sampleOnce();
		}
		expect(sampler.recent().map((s) => s.ts)).toEqual([M0 + 2000, M0 + 3000, M0 + 4000]);
		expect(sampler.recent(M0 + 3000).map((s) => s.ts)).toEqual([M0 + 3000, M0 + 4000]);
		expect(sampler.latest()?.ts).toBe(M0 + 4000);
		expect(sampler.stats().samples).toBe(5);
	});

	it('defaults to one hour of samples (720 at 5 s)', async () => {
		const t = clock(M0);
		const sampler = fixedRootSampler(undefined as unknown as number, t.now);
		for (let i = 0; i < 725; i++) {
			t.set(M0 + i * 5000);
			await sampler.sampleOnce();
		}
		expect(sampler.recent()).toHaveLength(720);
		expect(sampler.recent()[0].ts).toBe(M0 + 5 * 5000);
	});

	it('notifies subscribers until they unsubscribe; a throwing subscriber does not stop the others', async () => {
		const t = clock(M0);
		const sampler = fixedRootSampler(10, t.now);
		const seen: number[] = [];
		sampler.subscribe(() => {
			throw new Error('bad subscriber');
		});
		const off = sampler.subscribe((s) => seen.push(s.ts));
		await sampler.sampleOnce();
		off();
		t.set(M0 + 1);
		await sampler.sampleOnce();
		expect(seen).toEqual([M0]);
	});

	it('serialises overlapping sampleOnce calls', async () => {
		let t = M0;
		const sampler = fixedRootSampler(10, () => (t += 1000));
		const [a, b] = await Promise.all([sampler.sampleOnce(), sampler.sampleOnce()]);
		expect(a.cpu).toMatchObject({ stealPct: null, intervalMs: null });
		expect(b.cpu).toMatchObject({ intervalMs: 1000 }); // b measured against a, not against nothing
	});
});

describe('timer', () => {
	it('samples on a setTimeout chain until stopped', async () => {
		const root = tempProcRoot();
		useFixture(root, 'stat', 'stat.vm-steal.t0');
		useFixture(root, 'meminfo', 'meminfo.vm-swap');
		useFixture(root, 'loadavg', 'loadavg.vm');
		const sampler = createSampler({ procRoot: root, mounts: [], intervalMs: 10, log: spyLogger() });
		const three = new Promise<void>((resolve) => {
			let n = 0;
			sampler.subscribe(() => ++n === 3 && resolve());
		});
		sampler.start();
		sampler.start(); // idempotent: still one chain
		expect(sampler.stats().running).toBe(true);
		await three;
		await sampler.stop();
		const after = sampler.stats().samples;
		expect(after).toBeGreaterThanOrEqual(3);
		await new Promise((r) => setTimeout(r, 40));
		expect(sampler.stats()).toMatchObject({ samples: after, running: false });
	});
});

describe('history', () => {
	it('writes one point of means when a minute closes', async () => {
		const root = tempProcRoot();
		useFixture(root, 'loadavg', 'loadavg.vm');
		const { store, points } = arrayStore();
		const t = clock(M0);
		const sampler = createSampler({
			procRoot: root,
			mounts: ['/'],
			history: store,
			now: t.now,
			log: spyLogger()
		});

		// Each step adds 100 jiffies on one CPU, so steal % = steal jiffies added.
		const steps = [
			{ ts: M0, stat: { user: 0, idle: 0, steal: 0 }, memKb: 1 * 1024 ** 2 }, // first: steal null
			{ ts: M0 + 20_000, stat: { user: 50, idle: 40, steal: 10 }, memKb: 2 * 1024 ** 2 }, // steal 10, busy 60
			{ ts: M0 + 40_000, stat: { user: 100, idle: 70, steal: 30 }, memKb: 3 * 1024 ** 2 } // steal 20, busy 70
		];
		const samples: HostSample[] = [];
		// df's figure for '/' read by the test just before and just after each sample: the
		// sampler's reading lies between them (they are equal unless something wrote to the
		// disk in those milliseconds).
		const dfAround: [number, number][] = [];
		for (const step of steps) {
			writeStat(root, step.stat);
			writeMeminfo(root, step.memKb, 1024 ** 2);
			t.set(step.ts);
			const before = dfUsedPct('/');
			samples.push(await sampler.sampleOnce());
			dfAround.push([before, dfUsedPct('/')]);
		}
		await sampler.flush();
		expect(points).toEqual([]); // the minute is still open

		// first sample of the next minute closes minute M0
		writeStat(root, { user: 150, idle: 100, steal: 60 }); // steal 30 — belongs to the next minute
		t.set(M0 + MINUTE + 1);
		await sampler.sampleOnce();
		await sampler.flush();

		expect(samples.map((s) => s.disks[0].mount)).toEqual(['/', '/', '/']);
		expect(points).toHaveLength(1);
		const { disks, ...rest } = points[0];
		expect(rest).toEqual({
			ts: M0,
			stealPct: 15, // mean of 10 and 20; the first sample's null is not a zero
			busyPct: 65, // mean of 60 and 70
			load1: 1.82,
			memAvailableBytes: 2 * GiB, // mean of 1, 2 and 3 GiB
			swapUsedBytes: 1 * GiB,
			swapCachedBytes: 0
		});
		// The minute's disk figure is the mean of df's figures for the three samples.
		expect(disks).toHaveLength(1);
		expect(disks[0].mount).toBe('/');
		const low = dfAround.reduce((sum, [a, b]) => sum + Math.min(a, b), 0) / 3;
		const high = dfAround.reduce((sum, [a, b]) => sum + Math.max(a, b), 0) / 3;
		expect(disks[0].usedPct).toBeGreaterThanOrEqual(low - 1e-9);
		expect(disks[0].usedPct).toBeLessThanOrEqual(high + 1e-9);
	});

	it('writes nulls for figures no sample had and leaves out a mount that never read', async () => {
		const root = tempProcRoot(); // no files at all: every /proc metric errors
		const { store, points } = arrayStore();
		const t = clock(M0);
		const sampler = createSampler({
			procRoot: root,
			mounts: ['/gone'],
			rootfs: root,
			history: store,
			now: t.now,
			log: spyLogger()
		});
		await sampler.sampleOnce();
		t.set(M0 + MINUTE);
		await sampler.sampleOnce();
		await sampler.flush();
		expect(points).toEqual([
			{
				ts: M0,
				stealPct: null,
				busyPct: null,
				load1: null,
				memAvailableBytes: null,
				swapUsedBytes: null,
				swapCachedBytes: null,
				disks: []
			}
		]);
	});

	it('prunes on the first sample and then at most once an hour', async () => {
		const root = tempProcRoot();
		const { store, prunes } = arrayStore();
		const t = clock(M0);
		const retentionMs = 7 * 24 * 3_600_000;
		const sampler = createSampler({
			procRoot: root,
			mounts: [],
			history: store,
			now: t.now,
			log: spyLogger()
		});
		for (const offsetMs of [
			0,
			5000,
			30 * MINUTE,
			59 * MINUTE,
			60 * MINUTE,
			90 * MINUTE,
			120 * MINUTE
		]) {
			t.set(M0 + offsetMs);
			await sampler.sampleOnce();
		}
		await sampler.flush();
		// default retention is 7 days: cutoffs are sample ts - 7 d at 0, 60 and 120 minutes
		expect(prunes).toEqual([
			M0 - retentionMs,
			M0 + 60 * MINUTE - retentionMs,
			M0 + 120 * MINUTE - retentionMs
		]);
	});

	it('logs a failing store and keeps sampling', async () => {
		const root = tempProcRoot();
		useFixture(root, 'stat', 'stat.vm-steal.t0');
		useFixture(root, 'meminfo', 'meminfo.vm-swap');
		useFixture(root, 'loadavg', 'loadavg.vm');
		const log = spyLogger();
		const store: HistoryStore = {
			insert: async () => {
				throw new Error('SQLITE_BUSY');
			},
			pruneOlderThan: () => {
				throw new Error('disk I/O error'); // throws synchronously, not even a rejected promise
			}
		};
		const t = clock(M0);
		const sampler = createSampler({ procRoot: root, mounts: [], history: store, now: t.now, log });
		for (let i = 0; i < 4; i++) {
			t.set(M0 + i * MINUTE);
			await sampler.sampleOnce();
		}
		await sampler.flush();
		expect(sampler.stats().samples).toBe(4);
		expect(sampler.latest()?.ts).toBe(M0 + 3 * MINUTE);
		expect(log.error).toHaveBeenCalledWith('history prune failed', {
			err: expect.objectContaining({ message: 'disk I/O error' })
		});
		expect(log.error).toHaveBeenCalledWith('history insert failed', {
			err: expect.objectContaining({ message: 'SQLITE_BUSY' })
		});
		expect(log.error.mock.calls.filter(([msg]) => msg === 'history insert failed')).toHaveLength(3);
		// every sample read cleanly, so the last error is the store's
		expect(sampler.stats().lastError).toBe('history insert: SQLITE_BUSY');
	});
});
