// The one function that makes a HistoryPoint from figures: a sample on the server (sampler,
// charts' recent points) and a snapshot in the browser (live charts) both go through it.
// No IO: imported by client code.
import type {
	CpuFigures,
	DiskFigures,
	HistoryPoint,
	LoadFigures,
	Metric,
	MemoryFigures
} from './health';

/** What a point needs of a sample (HostSample) or a snapshot (HealthSnapshot's checked metrics). */
export interface PointFigures {
	cpu: Metric<Pick<CpuFigures, 'stealPct' | 'busyPct'>>;
	load: Metric<Pick<LoadFigures, 'load1'>>;
	memory: Metric<Pick<MemoryFigures, 'memAvailableBytes' | 'swapUsedBytes' | 'swapCachedBytes'>>;
	disks: { mount: string; figures: Metric<Pick<DiskFigures, 'usedPct'>> }[];
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
		disks: disks.flatMap((d) =>
			d.figures.ok ? [{ mount: d.mount, usedPct: d.figures.usedPct }] : []
		)
	};
}
