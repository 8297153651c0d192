// CPU shares between two /proc/stat readings. Pure; the deltas go through counters.ts.
import { counterDelta } from '../counters';
import type { CpuTimes, ProcStat } from './proc-parsers';

export interface CpuShare {
	/** Share of the interval the hypervisor ran someone else while this CPU wanted to run. */
	stealPct: number;
	/** Everything but idle and iowait. */
	busyPct: number;
}

export interface CpuUsage {
	/** Null when no time passed between the readings or a counter went backwards. */
	stealPct: number | null;
	busyPct: number | null;
	/** CPUs present in both readings with a usable delta; a hot-plugged CPU is skipped. */
	perCpu: ({ cpu: string } & CpuShare)[];
}

/**
 * All time the CPU spent, in jiffies. guest and guestNice are NOT added: the kernel already
 * counts guest time inside user and guest_nice inside nice (kernel/sched/cputime.c).
 */
export function cpuTotalJiffies(t: CpuTimes): number {
	return t.user + t.nice + t.system + t.idle + t.iowait + t.irq + t.softirq + t.steal;
}

function clampPct(pct: number): number {
	return pct < 0 ? 0 : pct > 100 ? 100 : pct;
}

/** Steal and busy share of one CPU (or the aggregate) between two readings, or null. */
export function cpuShare(prev: CpuTimes, next: CpuTimes): CpuShare | null {
	const total = counterDelta(cpuTotalJiffies(prev), cpuTotalJiffies(next));
	const idle = counterDelta(prev.idle, next.idle);
	const steal = counterDelta(prev.steal, next.steal);
	// iowait is documented to go backwards on tickless kernels
	// (Documentation/filesystems/proc.rst, "iowait ... will decrease in certain conditions"):
	// read a decrease as "no iowait" rather than as a counter reset.
	const iowait = counterDelta(prev.iowait, next.iowait) ?? 0;
	if (total === null || idle === null || steal === null || total === 0) return null;
	return {
		stealPct: clampPct((steal / total) * 100),
		busyPct: clampPct(((total - idle - iowait) / total) * 100)
	};
}

/** CPU usage between two /proc/stat readings, aggregate and per CPU. */
export function cpuUsage(prev: ProcStat, next: ProcStat): CpuUsage {
	const total = cpuShare(prev.total, next.total);
	const perCpu: CpuUsage['perCpu'] = [];
	for (let i = 0; i < next.perCpu.length; i++) {
		const n = next.perCpu[i];
		// CPUs usually sit at the same index in both readings; search only when hotplug moved them.
		const p =
			prev.perCpu[i]?.cpu === n.cpu ? prev.perCpu[i] : prev.perCpu.find((c) => c.cpu === n.cpu);
		if (!p) continue;
		const share = cpuShare(p, n);
		if (share) perCpu.push({ cpu: n.cpu, ...share });
	}
	return { stealPct: total?.stealPct ?? null, busyPct: total?.busyPct ?? null, perCpu };
}
