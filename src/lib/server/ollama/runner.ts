// CPU % of the Ollama runner processes, read from the host's /proc (VMW_PROC_ROOT).
// A runner is found by its command line: `ollama runner …` (Ollama ≥ 0.4 runs each loaded
// model in a child of the server started as `<path>/ollama runner --model <blob> …`) or the
// older `ollama_llama_server …`. CPU % comes from two readings of utime+stime in
// /proc/<pid>/stat through counters.ts; no reading ever sleeps (DESIGN decision 5): the
// poller's reading every VMW_OLLAMA_POLL_MS is the baseline for the next request.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { counterRatePerSec } from '../counters';

/**
 * Clock ticks per second of /proc/<pid>/stat times (sysconf(_SC_CLK_TCK)). 100 on every
 * Linux architecture vmwarden targets (x86-64, arm64); the kernel ABI fixes USER_HZ there.
 */
export const USER_HZ = 100;

/** Whether a NUL-separated /proc/<pid>/cmdline is an Ollama runner. */
export function isOllamaRunner(cmdline: string): boolean {
	const argv = cmdline.split('\0').filter(Boolean);
	if (argv.length === 0) return false;
	const exe = path.basename(argv[0]);
	if (exe === 'ollama_llama_server') return true;
	return exe === 'ollama' && argv[1] === 'runner';
}

/** utime + stime (clock ticks) from /proc/<pid>/stat; the comm field may hold spaces and parentheses. */
export function parsePidStatTicks(text: string): number {
	const close = text.lastIndexOf(')');
	if (close < 0) throw new Error('no ")" after the command name');
	const fields = text
		.slice(close + 2)
		.trim()
		.split(/\s+/);
	// fields[0] is field 3 (state); utime is field 14, stime field 15
	const utime = Number(fields[11]);
	const stime = Number(fields[12]);
	if (!Number.isFinite(utime) || !Number.isFinite(stime) || fields.length < 13)
		throw new Error('utime/stime are missing or not numbers');
	return utime + stime;
}

export interface RunnerReading {
	pid: number;
	ticks: number;
}

/** Every runner process under procRoot with its CPU ticks; unreadable entries (exited, no access) are skipped. */
export function readRunners(procRoot: string): RunnerReading[] {
	let entries: string[];
	try {
		entries = readdirSync(procRoot);
	} catch {
		return [];
	}
	const out: RunnerReading[] = [];
	for (const e of entries) {
		if (!/^\d+$/.test(e)) continue;
		try {
			if (!isOllamaRunner(readFileSync(path.join(procRoot, e, 'cmdline'), 'latin1'))) continue;
			out.push({
				pid: Number(e),
				ticks: parsePidStatTicks(readFileSync(path.join(procRoot, e, 'stat'), 'latin1'))
			});
		} catch {
			/* the process exited between readdir and read, or is not ours to read */
		}
	}
	return out.sort((a, b) => a.pid - b.pid);
}

export interface RunnerCpu {
	pid: number;
	/** 100 = one core busy (as top shows a process); null until two readings ≥ minIntervalMs apart exist */
	cpuPct: number | null;
}

/**
 * Remembers the previous reading of each runner. `read()` compares the current reading with
 * the remembered one when it is at least `minIntervalMs` old (a shorter interval gives a noisy
 * figure), else answers the last computed figure.
 */
export function createRunnerCpuTracker({
	procRoot,
	minIntervalMs = 1000,
	now = Date.now
}: {
	procRoot: string;
	minIntervalMs?: number;
	now?: () => number;
}) {
	const prev = new Map<number, { ticks: number; at: number }>();
	const last = new Map<number, number | null>();
	return {
		read(): RunnerCpu[] {
			const at = now();
			const runners = readRunners(procRoot);
			const seen = new Set<number>();
			const out = runners.map(({ pid, ticks }) => {
				seen.add(pid);
				const p = prev.get(pid);
				if (!p) {
					prev.set(pid, { ticks, at });
					return { pid, cpuPct: null };
				}
				if (at - p.at < minIntervalMs) return { pid, cpuPct: last.get(pid) ?? null };
				const rate = counterRatePerSec({ prev: p.ticks, next: ticks, elapsedMs: at - p.at });
				// ticks per second / USER_HZ = cores busy; × 100 for a percentage
				const pct = rate === null ? null : Math.round((rate / USER_HZ) * 1000) / 10;
				prev.set(pid, { ticks, at });
				last.set(pid, pct);
				return { pid, cpuPct: pct };
			});
			for (const pid of prev.keys()) {
				if (seen.has(pid)) continue;
				prev.delete(pid);
				last.delete(pid);
			}
			return out;
		}
	};
}

export type RunnerCpuTracker = ReturnType<typeof createRunnerCpuTracker>;
