// Reads the procfs files behind one host sample. Each file is read and parsed on its own,
// so a bad file yields { ok: false, error } for its metric and never hides the others.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { LoadFigures, MemoryFigures, Metric } from '$lib/health';
import { parseLoadavg, parseMeminfo, parseProcStat, type ProcStat } from './proc-parsers';

export interface HostReading {
	/** Cumulative CPU times; shares need a previous reading (see cpu.ts). */
	cpu: Metric<ProcStat>;
	memory: Metric<MemoryFigures>;
	load: Metric<LoadFigures>;
}

function errorMessage(err: unknown): string {
	return err instanceof Error ? err.message : String(err);
}

function capture<T extends object>(parse: () => T): Metric<T> {
	try {
		return { ok: true, ...parse() };
	} catch (err) {
		return { ok: false, error: errorMessage(err) };
	}
}

/**
 * Synchronous reads on purpose: procfs is generated in memory and never waits on a device,
 * and readFileSync costs ~50 µs of CPU for the three files where fs.promises.readFile costs
 * ~10x that (open/fstat/read/close each hop through the thread pool). Measured on Node 20.
 * Files are read as latin1: they are ASCII, and latin1 decoding skips UTF-8 validation.
 */
export function readHostSync({ procRoot = '/proc' }: { procRoot?: string } = {}): HostReading {
	const statFile = `${procRoot}/stat`;
	const meminfoFile = `${procRoot}/meminfo`;
	const loadavgFile = `${procRoot}/loadavg`;

	const cpu = capture(() => parseProcStat(readFileSync(statFile, 'latin1'), statFile));
	const memory = capture(() => parseMeminfo(readFileSync(meminfoFile, 'latin1'), meminfoFile));
	const load = capture(() => {
		const avg = parseLoadavg(readFileSync(loadavgFile, 'latin1'), loadavgFile);
		// The CPU count is the host's online CPUs from its /proc/stat. If that file failed, fall
		// back to what this process sees, which is the same kernel (containers share it).
		const cpuCount = cpu.ok ? cpu.perCpu.length : Math.max(1, os.cpus().length);
		return { ...avg, cpuCount };
	});
	return { cpu, memory, load };
}
