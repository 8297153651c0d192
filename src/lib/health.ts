// Shapes shared by the server, the browser and scripts/vm-health-check.sh --json.
// No IO here: this module is imported by client code.

export type Status = 'OK' | 'WARN' | 'CRIT' | 'UNKNOWN';

/** A metric either has a value or the reason it has none (a malformed /proc file, a vanished mount). */
export type Metric<T> = ({ ok: true } & T) | { ok: false; error: string };

export interface CpuFigures {
	/** Steal over the interval between the two latest samples; null until a second sample exists. */
	stealPct: number | null;
	/** Non-idle share (everything but idle + iowait) over the same interval. */
	busyPct: number | null;
	intervalMs: number | null;
	perCpu: { cpu: string; stealPct: number; busyPct: number }[];
}

export interface LoadFigures {
	load1: number;
	load5: number;
	load15: number;
	cpuCount: number;
}

export interface MemoryFigures {
	memTotalBytes: number;
	memAvailableBytes: number;
	swapTotalBytes: number;
	swapUsedBytes: number;
	swapCachedBytes: number;
}

export interface DiskFigures {
	totalBytes: number;
	usedBytes: number;
	availBytes: number;
	/** used / (used + avail) * 100, as df computes it (reserved blocks excluded). */
	usedPct: number;
}

/** One reading of the host, as the sampler produces it. */
export interface HostSample {
	/** epoch ms */
	ts: number;
	cpu: Metric<CpuFigures>;
	load: Metric<LoadFigures>;
	memory: Metric<MemoryFigures>;
	disks: { mount: string; figures: Metric<DiskFigures> }[];
}

export interface Thresholds {
	stealWarnPct: number;
	stealCritPct: number;
	swapUsedWarnBytes: number;
	swapUsedCritBytes: number;
	swapCachedWarnBytes: number;
	diskWarnPct: number;
	diskCritPct: number;
	memAvailableWarnBytes: number;
	memAvailableCritBytes: number;
	/** load1 divided by the CPU count */
	loadPerCpuWarn: number;
	loadPerCpuCrit: number;
}

export type Checked<T> = { status: Status; reason?: string } & Metric<T>;

/** What `health.snapshot` and `GET /api/vm/health` return. Times are ISO strings at this edge. */
export interface HealthSnapshot {
	hostId: string;
	ts: string | null;
	status: Status;
	steal: Checked<CpuFigures>;
	load: Checked<LoadFigures>;
	memory: Checked<MemoryFigures>;
	swap: Checked<MemoryFigures> & { swapCachedWarning?: boolean };
	disks: ({ mount: string } & Checked<DiskFigures>)[];
	/** Human sentences, worst first: why the status is not OK, plus early warnings. */
	reasons: string[];
	/** Set when the sampler has no fresh data; the figures are then the last good ones. */
	stale?: { since: string | null; error: string };
}

/** One downsampled (1-minute) point of stored history. Means over the minute; null when no sample had the figure. */
export interface HistoryPoint {
	/** start of the minute, epoch ms */
	ts: number;
	stealPct: number | null;
	busyPct: number | null;
	load1: number | null;
	memAvailableBytes: number | null;
	swapUsedBytes: number | null;
	swapCachedBytes: number | null;
	disks: { mount: string; usedPct: number }[];
}
