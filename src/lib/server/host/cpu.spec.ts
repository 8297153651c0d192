import { describe, expect, it } from 'vitest';
import { cpuShare, cpuTotalJiffies, cpuUsage } from './cpu';
import { procFixture } from '../../../../tests/helpers/proc';
import { parseProcStat, type CpuTimes } from './proc-parsers';

const stat = (file: string) => parseProcStat(procFixture(file));

function times(partial: Partial<CpuTimes>): CpuTimes {
	return {
		user: 0,
		nice: 0,
		system: 0,
		idle: 0,
		iowait: 0,
		irq: 0,
		softirq: 0,
		steal: 0,
		guest: 0,
		guestNice: 0,
		...partial
	};
}

describe('cpuUsage over captured pairs', () => {
	it.each([
		// stat.vm-steal t0 -> t1, aggregate deltas:
		//   user 158, nice 0, system 36, idle 168, iowait 3, irq 0, softirq 2, steal 33 -> total 400
		//   steal 33/400 = 8.25 %; busy (400 - 168 - 3)/400 = 229/400 = 57.25 %
		// per CPU (each sums to 100 jiffies):
		//   cpu0 steal 8, idle 41, iowait 1 -> busy 58;  cpu1 steal 9, idle 42, iowait 1 -> busy 57
		//   cpu2 steal 8, idle 42, iowait 0 -> busy 58;  cpu3 steal 8, idle 43, iowait 1 -> busy 56
		[
			'stat.vm-steal',
			{ stealPct: 8.25, busyPct: 57.25 },
			[
				{ cpu: 'cpu0', stealPct: 8, busyPct: 58 },
				{ cpu: 'cpu1', stealPct: 9, busyPct: 57 },
				{ cpu: 'cpu2', stealPct: 8, busyPct: 58 },
				{ cpu: 'cpu3', stealPct: 8, busyPct: 56 }
			]
		],
		// stat.local t0 -> t1 (this machine, 1 s apart): user 1, system 1, idle 199, rest 0 -> total 201
		//   steal 0 %; busy 2/201 = 0.99502... %
		//   cpu0: user 1, idle 99 -> total 100, busy 1 %;  cpu1: idle 99 -> total 99, busy 0 %
		[
			'stat.local',
			{ stealPct: 0, busyPct: (2 / 201) * 100 },
			[
				{ cpu: 'cpu0', stealPct: 0, busyPct: 1 },
				{ cpu: 'cpu1', stealPct: 0, busyPct: 0 }
			]
		]
	])('%s t0 -> t1', (pair, total, perCpu) => {
		const usage = cpuUsage(stat(`${pair}.t0`), stat(`${pair}.t1`));
		expect(usage.stealPct).toBeCloseTo(total.stealPct, 10);
		expect(usage.busyPct).toBeCloseTo(total.busyPct, 10);
		expect(usage.perCpu).toHaveLength(perCpu.length);
		usage.perCpu.forEach((c, i) => {
			expect(c.cpu).toBe(perCpu[i].cpu);
			expect(c.stealPct).toBeCloseTo(perCpu[i].stealPct, 10);
			expect(c.busyPct).toBeCloseTo(perCpu[i].busyPct, 10);
		});
	});
});

describe('cpuShare', () => {
	it('does not add guest time to the total (it is already inside user/nice)', () => {
		// 100 jiffies: user 60 (of which guest 50), idle 30, steal 10 -> steal 10 %, busy 70 %.
		// Adding guest would make the total 150 and steal 6.67 %.
		const share = cpuShare(times({}), times({ user: 60, guest: 50, idle: 30, steal: 10 }));
		expect(share).toEqual({ stealPct: 10, busyPct: 70 });
		expect(cpuTotalJiffies(times({ user: 60, guest: 50, guestNice: 7 }))).toBe(60);
	});

	it('is null, not NaN, when no time passed', () => {
		const same = times({ user: 5, idle: 5 });
		expect(cpuShare(same, same)).toBeNull();
		expect(cpuUsage(stat('stat.vm-steal.t0'), stat('stat.vm-steal.t0'))).toEqual({
			stealPct: null,
			busyPct: null,
			perCpu: []
		});
	});

	it('is null when a counter went backwards (reset)', () => {
		expect(
			cpuShare(
				times({ user: 100, idle: 100, steal: 10 }),
				times({ user: 150, idle: 200, steal: 5 })
			)
		).toBeNull();
	});

	it('reads a decreasing iowait as zero iowait, not as a reset', () => {
		// total 101 -> 200 (delta 99): user +50, idle +50, iowait -1 -> busy (99 - 50 - 0)/99
		const share = cpuShare(
			times({ user: 0, idle: 100, iowait: 1 }),
			times({ user: 50, idle: 150, iowait: 0 })
		);
		expect(share?.busyPct).toBeCloseTo((49 / 99) * 100, 10);
		expect(share?.stealPct).toBe(0);
	});
});

describe('cpuUsage with hotplug', () => {
	it('skips a CPU that is in only one reading and matches the rest by name', () => {
		const t0 = stat('stat.vm-steal.t0');
		const t1 = stat('stat.vm-steal.t1');
		// cpu1 went offline before t1: the remaining CPUs shift index but keep their names.
		const t1WithoutCpu1 = { ...t1, perCpu: t1.perCpu.filter((c) => c.cpu !== 'cpu1') };
		const usage = cpuUsage(t0, t1WithoutCpu1);
		expect(usage.perCpu.map((c) => c.cpu)).toEqual(['cpu0', 'cpu2', 'cpu3']);
		expect(usage.perCpu[1].stealPct).toBe(8); // cpu2's own delta, not cpu1's 9
		// cpu4 came online at t1: no t0 reading, so no share for it
		const t1WithCpu4 = { ...t1, perCpu: [...t1.perCpu, { ...t1.perCpu[0], cpu: 'cpu4' }] };
		expect(cpuUsage(t0, t1WithCpu4).perCpu.map((c) => c.cpu)).toEqual([
			'cpu0',
			'cpu1',
			'cpu2',
			'cpu3'
		]);
	});
});
