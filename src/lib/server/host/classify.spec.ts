import { describe, expect, it } from 'vitest';
import type {
	CpuFigures,
	DiskFigures,
	HostSample,
	LoadFigures,
	MemoryFigures,
	Metric
} from '$lib/health';
import { classify, DEFAULT_THRESHOLDS, worstStatus } from './classify';
import { cpuUsage } from './cpu';
import { parseLoadavg, parseMeminfo, parseProcStat } from './proc-parsers';
import { procFixture } from '../../../../tests/helpers/proc';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const TS = Date.UTC(2025, 10, 29, 10, 0, 0);

/** The fixture VM: stat t0 -> t1 (steal 8.25 %), meminfo.vm-swap, loadavg.vm on 4 CPUs. */
function fixtureSample(): HostSample {
	const usage = cpuUsage(
		parseProcStat(procFixture('stat.vm-steal.t0')),
		parseProcStat(procFixture('stat.vm-steal.t1'))
	);
	return {
		ts: TS,
		cpu: { ok: true, ...usage, intervalMs: 1000 },
		load: { ok: true, ...parseLoadavg(procFixture('loadavg.vm')), cpuCount: 4 },
		memory: { ok: true, ...parseMeminfo(procFixture('meminfo.vm-swap')) },
		disks: [{ mount: '/', figures: disk(40) }]
	};
}

function disk(usedPct: number): Metric<DiskFigures> {
	// 100 GiB used + avail, no reserved blocks
	const usedBytes = Math.round(usedPct * GiB);
	return { ok: true, totalBytes: 100 * GiB, usedBytes, availBytes: 100 * GiB - usedBytes, usedPct };
}

/** A quiet box; each test changes one thing. */
function okSample(
	over: {
		cpu?: Partial<CpuFigures>;
		load?: Partial<LoadFigures>;
		memory?: Partial<MemoryFigures>;
		disks?: HostSample['disks'];
	} = {}
): HostSample {
	return {
		ts: TS,
		cpu: { ok: true, stealPct: 0.5, busyPct: 10, intervalMs: 5000, perCpu: [], ...over.cpu },
		load: { ok: true, load1: 0.5, load5: 0.5, load15: 0.5, cpuCount: 2, ...over.load },
		memory: {
			ok: true,
			memTotalBytes: 16 * GiB,
			memAvailableBytes: 8 * GiB,
			swapTotalBytes: 4 * GiB,
			swapUsedBytes: 0,
			swapCachedBytes: 0,
			...over.memory
		},
		disks: over.disks ?? [{ mount: '/', figures: disk(30) }]
	};
}

describe('classify the fixture VM', () => {
	it('warns on 8.25 % steal, not on 1.4 GiB swap, and flags SwapCached 245 MiB as an early warning', () => {
		const snap = classify({ sample: fixtureSample(), hostId: 'vm1' });
		expect(snap.status).toBe('WARN');
		expect(snap.ts).toBe('2025-11-29T10:00:00.000Z');
		expect(snap.steal).toMatchObject({ status: 'WARN', ok: true, stealPct: 8.25 });
		// swap used = (4194300 - 2726300) kB = 1468000 kB = 1.39999 GiB: under 1.5 GiB (binary)
		expect(snap.swap).toMatchObject({
			status: 'OK',
			swapUsedBytes: 1468000 * 1024,
			swapCachedWarning: true
		});
		// MemAvailable 10695112 kB = 10.2 GiB > 2 GiB
		expect(snap.memory.status).toBe('OK');
		// load1 1.82 / 4 CPUs = 0.455 per CPU
		expect(snap.load.status).toBe('OK');
		expect(snap.reasons).toEqual([
			"CPU steal 8.3 % > 5 %: the hypervisor is giving this VM's CPU time to other guests",
			// SwapCached 250880 kB = 245 MiB exactly
			'SwapCached 245 MiB > 200 MiB: the box was recently under memory pressure'
		]);
	});
});

describe('thresholds (DEFAULT_THRESHOLDS)', () => {
	it('has the decided defaults, in binary units', () => {
		expect(DEFAULT_THRESHOLDS).toEqual({
			stealWarnPct: 5,
			stealCritPct: 15,
			swapUsedWarnBytes: 1610612736, // 1.5 GiB
			swapUsedCritBytes: 4294967296, // 4 GiB
			swapCachedWarnBytes: 209715200, // 200 MiB
			diskWarnPct: 55,
			diskCritPct: 70,
			memAvailableWarnBytes: 2147483648, // 2 GiB
			memAvailableCritBytes: 1073741824, // 1 GiB
			loadPerCpuWarn: 1.5,
			loadPerCpuCrit: 3
		});
	});

	it.each([
		// [what, sample, metric key, status, reason]
		['steal at the warn line', okSample({ cpu: { stealPct: 5 } }), 'steal', 'OK', undefined],
		[
			'steal over warn',
			okSample({ cpu: { stealPct: 5.2 } }),
			'steal',
			'WARN',
			"CPU steal 5.2 % > 5 %: the hypervisor is giving this VM's CPU time to other guests"
		],
		[
			'steal at the crit line',
			okSample({ cpu: { stealPct: 15 } }),
			'steal',
			'WARN',
			"CPU steal 15 % > 5 %: the hypervisor is giving this VM's CPU time to other guests"
		],
		[
			'steal over crit',
			okSample({ cpu: { stealPct: 18.24 } }),
			'steal',
			'CRIT',
			"CPU steal 18.2 % > 15 %: the hypervisor is giving this VM's CPU time to other guests"
		],
		[
			'steal just over warn reads differently from the limit',
			okSample({ cpu: { stealPct: 5.04 } }),
			'steal',
			'WARN',
			"CPU steal 5.04 % > 5 %: the hypervisor is giving this VM's CPU time to other guests"
		],
		[
			'swap at 1.5 GiB',
			okSample({ memory: { swapUsedBytes: 1.5 * GiB } }),
			'swap',
			'OK',
			undefined
		],
		[
			'swap over 1.5 GiB',
			okSample({ memory: { swapUsedBytes: 1.52 * GiB } }),
			'swap',
			'WARN',
			'Swap used 1.52 GiB > 1.5 GiB'
		],
		[
			'swap over 4 GiB',
			okSample({ memory: { swapUsedBytes: 4.5 * GiB } }),
			'swap',
			'CRIT',
			'Swap used 4.5 GiB > 4 GiB'
		],
		[
			'MemAvailable at 2 GiB',
			okSample({ memory: { memAvailableBytes: 2 * GiB } }),
			'memory',
			'OK',
			undefined
		],
		[
			'MemAvailable under 2 GiB',
			okSample({ memory: { memAvailableBytes: 1.8 * GiB } }),
			'memory',
			'WARN',
			'MemAvailable 1.8 GiB < 2 GiB'
		],
		[
			'MemAvailable under 1 GiB',
			okSample({ memory: { memAvailableBytes: 600 * MiB } }),
			'memory',
			'CRIT',
			'MemAvailable 600 MiB < 1 GiB'
		],
		['load 1.5 per CPU', okSample({ load: { load1: 3, cpuCount: 2 } }), 'load', 'OK', undefined],
		[
			'load over 1.5 per CPU',
			okSample({ load: { load1: 3.2, cpuCount: 2 } }),
			'load',
			'WARN',
			'Load 3.20 on 2 CPUs is 1.60 per CPU > 1.5'
		],
		[
			'load over 3 per CPU',
			okSample({ load: { load1: 6.5, cpuCount: 2 } }),
			'load',
			'CRIT',
			'Load 6.50 on 2 CPUs is 3.25 per CPU > 3'
		]
	] as const)('%s → %s %s', (_what, sample, key, status, reason) => {
		const snap = classify({ sample, hostId: 'vm1' });
		expect(snap[key].status).toBe(status);
		expect(snap[key].reason).toBe(reason);
		expect(snap.status).toBe(status);
		expect(snap.reasons).toEqual(reason ? [reason] : []);
	});

	it.each([
		// disk usedPct is inclusive (≥), as the roadmap words it
		[54.9, 'OK', undefined],
		[55, 'WARN', 'Disk / 55 % used ≥ 55 % (45 GiB free)'],
		[69.9, 'WARN', 'Disk / 69.9 % used ≥ 55 % (30.1 GiB free)'],
		[70, 'CRIT', 'Disk / 70 % used ≥ 70 % (30 GiB free)']
	] as const)('disk %s %% → %s', (usedPct, status, reason) => {
		const snap = classify({
			sample: okSample({ disks: [{ mount: '/', figures: disk(usedPct) }] }),
			hostId: 'vm1'
		});
		expect(snap.disks).toEqual([expect.objectContaining({ mount: '/', status, usedPct })]);
		expect(snap.disks[0].reason).toBe(reason);
		expect(snap.status).toBe(status);
	});

	it('honours custom thresholds', () => {
		const snap = classify({
			sample: okSample({ cpu: { stealPct: 2 } }),
			thresholds: { ...DEFAULT_THRESHOLDS, stealWarnPct: 1, stealCritPct: 1.5 },
			hostId: 'vm1'
		});
		expect(snap.steal.status).toBe('CRIT');
	});
});

describe('first sample and errors', () => {
	it('a first sample (stealPct null) is UNKNOWN "measuring", not OK: steal needs a second reading', () => {
		const snap = classify({
			sample: okSample({ cpu: { stealPct: null, busyPct: null, intervalMs: null } }),
			hostId: 'vm1'
		});
		expect(snap.steal).toEqual({
			status: 'UNKNOWN',
			reason: 'measuring: needs a second sample',
			ok: true,
			stealPct: null,
			busyPct: null,
			intervalMs: null,
			perCpu: []
		});
		// every other dimension of okSample is OK, so the host is UNKNOWN only because of steal
		expect(snap.status).toBe('UNKNOWN');
		expect(snap.reasons).toEqual(['CPU steal measuring: needs a second sample']);
	});

	it('an errored metric is UNKNOWN with the error as its reason; alone it makes the host UNKNOWN', () => {
		const error = "/proc/stat: file truncated: last line 'cpu3 1499041 2' has no newline";
		const sample: HostSample = { ...okSample(), cpu: { ok: false, error } };
		const snap = classify({ sample, hostId: 'vm1' });
		expect(snap.steal).toEqual({ status: 'UNKNOWN', reason: error, ok: false, error });
		expect(snap.memory.status).toBe('OK');
		expect(snap.status).toBe('UNKNOWN');
		expect(snap.reasons).toEqual([`CPU steal unknown: ${error}`]);
	});

	it('says when the errored metric last read well', () => {
		const sample: HostSample = {
			...okSample(),
			memory: {
				ok: false,
				error: '/proc/meminfo: MemAvailable missing (needs Linux 3.14 or later)'
			}
		};
		const snap = classify({
			sample,
			hostId: 'vm1',
			lastGood: { cpu: TS, load: TS, memory: TS - 60_000, disks: { '/': TS } }
		});
		expect(snap.memory.status).toBe('UNKNOWN');
		expect(snap.swap).toMatchObject({ status: 'UNKNOWN', ok: false }); // same file, same error
		// one sentence for the file, not one for memory and one for swap
		expect(snap.reasons).toEqual([
			'Memory unknown: /proc/meminfo: MemAvailable missing (needs Linux 3.14 or later) (last good data 2025-11-29T09:59:00.000Z)'
		]);
		const never = classify({
			sample,
			hostId: 'vm1',
			lastGood: { cpu: TS, load: TS, memory: null, disks: {} }
		});
		expect(never.reasons[0]).toMatch(/\(no good data yet\)$/);
	});

	it('overall status is the worst, CRIT > WARN > UNKNOWN > OK, and reasons are worst first', () => {
		const sample: HostSample = {
			...okSample({
				cpu: { stealPct: 7 }, // WARN
				memory: { swapCachedBytes: 300 * MiB } // early warning only
			}),
			load: { ok: false, error: '/proc/loadavg: file is empty' }, // UNKNOWN
			disks: [
				{ mount: '/', figures: disk(60) }, // WARN
				{ mount: '/data', figures: disk(75) } // CRIT
			]
		};
		const snap = classify({ sample, hostId: 'vm1' });
		expect(snap.status).toBe('CRIT');
		expect(snap.reasons).toEqual([
			'Disk /data 75 % used ≥ 70 % (25 GiB free)',
			"CPU steal 7 % > 5 %: the hypervisor is giving this VM's CPU time to other guests",
			'Disk / 60 % used ≥ 55 % (40 GiB free)',
			'Load unknown: /proc/loadavg: file is empty',
			'SwapCached 300 MiB > 200 MiB: the box was recently under memory pressure'
		]);
		expect(snap.swap).toMatchObject({ status: 'OK', swapCachedWarning: true });
	});

	it('worstStatus ranks UNKNOWN under WARN', () => {
		expect(worstStatus(['OK', 'UNKNOWN'])).toBe('UNKNOWN');
		expect(worstStatus(['UNKNOWN', 'WARN', 'OK'])).toBe('WARN');
		expect(worstStatus(['WARN', 'CRIT', 'UNKNOWN'])).toBe('CRIT');
		expect(worstStatus([])).toBe('OK');
	});
});

describe('no sample, stale sample', () => {
	it('no sample yet: everything UNKNOWN and stale', () => {
		const snap = classify({ sample: null, hostId: 'vm1' });
		expect(snap).toMatchObject({
			hostId: 'vm1',
			ts: null,
			status: 'UNKNOWN',
			disks: [],
			stale: { since: null, error: 'no sample yet' }
		});
		expect(snap.steal).toEqual({
			status: 'UNKNOWN',
			reason: 'no sample yet',
			ok: false,
			error: 'no sample yet'
		});
	});

	it('a sample older than staleAfterMs is marked stale and at least UNKNOWN', () => {
		const snap = classify({
			sample: okSample(),
			hostId: 'vm1',
			nowMs: TS + 20_000,
			staleAfterMs: 15_000
		});
		expect(snap.stale).toEqual({
			since: '2025-11-29T10:00:00.000Z',
			error: 'no new sample for 20 s'
		});
		expect(snap.status).toBe('UNKNOWN');
		const fresh = classify({
			sample: okSample(),
			hostId: 'vm1',
			nowMs: TS + 10_000,
			staleAfterMs: 15_000
		});
		expect(fresh.stale).toBeUndefined();
		expect(fresh.status).toBe('OK');
	});
});
