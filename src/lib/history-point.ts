// The one function that makes a HistoryPoint from figures: a sample on the server (sampler,
// charts' recent points) and a snapshot in the browser (live charts) both go through it.
// No IO: imported by client code.
import type { CpuFigures, DiskFigures, HistoryPoint, LoadFigures, Metric, MemoryFigures } from './health';

type Has<T> = Metric<T> | ({ ok: true } & T);

export interface PointFigures {
	cpu: Has<Pick<CpuFigures, 'stealPct' | 'busyPct'>> | { ok: false };
	load: Has<Pick<LoadFigures, 'load1'>> | { ok: false };
	memory: Has<Pick<MemoryFigures, 'memAvailableBytes' | 'swapUsedBytes' | 'swapCachedBytes'>> | { ok: false };
	disks: { mount: string; figures: Has<Pick<DiskFigures, 'usedPct'>> | { ok: false } }[];
}

/** A figure that did not read is null; a mount that did not read is left out. */
export function historyPoint(ts: number, { cpu, load, memory, disks }: PointFigures): HistoryPoint {
	return {
		ts,
		stealPct: cpu.ok ? cpu.stealPct : null,
		busyPct: cpu.ok ? cpu.busyPct : null,
		load1: load.ok ? load.load1 : null,
		memAvailableBytes: memory.ok ? memory.memAvailableBytes : null,
		swapUsedBytes: memory.ok ? memory.swapUsedBytes : null,
		swapCachedBytes: memory.ok ? memory.swapCachedBytes : null,
		disks: disks.flatMap((d) => (d.figures.ok ? [{ mount: d.mount, usedPct: d.figures.usedPct }] : []))
	};
}
