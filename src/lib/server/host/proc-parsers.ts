// Pure parsers for the procfs files the host sampler reads. Text in, plain data out; no IO.
// Malformed or truncated input throws ProcParseError; a parser never returns NaN.
// Parsing walks character codes instead of running a regex per line: /proc/stat on a big
// machine has hundreds of lines and the sampler parses it every few seconds.
import type { LoadFigures, MemoryFigures } from '$lib/health';

export class ProcParseError extends Error {
	/** The file that failed to parse, e.g. "/proc/stat" or "/host/proc/meminfo". */
	readonly file: string;

	constructor(file: string, message: string, options?: { cause?: unknown }) {
		super(`${file}: ${message}`, options);
		this.name = 'ProcParseError';
		this.file = file;
	}
}

/** Cumulative time per state, in USER_HZ ticks (jiffies), as /proc/stat prints it. */
export interface CpuTimes {
	user: number;
	nice: number;
	system: number;
	idle: number;
	iowait: number;
	irq: number;
	softirq: number;
	steal: number;
	/** Already counted inside `user`; never add it to a total. */
	guest: number;
	/** Already counted inside `nice`; never add it to a total. */
	guestNice: number;
}

export interface ProcStat {
	/** The aggregate `cpu` line. */
	total: CpuTimes;
	/** One entry per online CPU (`cpu0`, `cpu1`, …), in file order. */
	perCpu: ({ cpu: string } & CpuTimes)[];
}

/** user..steal: steal arrived in Linux 2.6.11, so anything shorter is not a usable line. */
const MIN_CPU_FIELDS = 8;
const SPACE = 32;
const TAB = 9;
const NEWLINE = 10;
const ZERO = 48;
const NINE = 57;

function quote(line: string): string {
	return line.length > 80 ? `'${line.slice(0, 77)}...'` : `'${line}'`;
}

function requireNewlineAtEnd(text: string, file: string): void {
	if (text.length === 0) throw new ProcParseError(file, 'file is empty');
	if (text.charCodeAt(text.length - 1) !== NEWLINE) {
		const lastLine = text.slice(text.lastIndexOf('\n') + 1);
		throw new ProcParseError(file, `file truncated: last line ${quote(lastLine)} has no newline`);
	}
}

/**
 * Parses /proc/stat's `cpu` and `cpuN` lines (the only ones the sampler needs; parsing stops
 * at the first line after them, so the long `intr` line is never split).
 */
export function parseProcStat(text: string, file = '/proc/stat'): ProcStat {
	requireNewlineAtEnd(text, file);
	let total: CpuTimes | null = null;
	const perCpu: ProcStat['perCpu'] = [];
	const fields: number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
	let seenCpu = false;
	let pos = 0;

	while (pos < text.length) {
		// requireNewlineAtEnd guarantees a newline after every line.
		const end = text.indexOf('\n', pos);
		const isCpuLine =
			text.charCodeAt(pos) === 99 /* c */ &&
			text.charCodeAt(pos + 1) === 112 /* p */ &&
			text.charCodeAt(pos + 2) === 117; /* u */
		if (!isCpuLine) {
			if (seenCpu) break; // the kernel prints every cpu line first
			pos = end + 1;
			continue;
		}
		seenCpu = true;

		// Label: "cpu" (aggregate) or "cpu<digits>".
		let i = pos + 3;
		while (i < end && text.charCodeAt(i) >= ZERO && text.charCodeAt(i) <= NINE) i++;
		const labelEnd = i;
		const c = text.charCodeAt(i);
		if (i < end && c !== SPACE && c !== TAB) {
			throw new ProcParseError(
				file,
				`line ${quote(text.slice(pos, end))} has a malformed cpu label`
			);
		}

		// Fields: non-negative integers separated by spaces.
		let count = 0;
		while (i < end) {
			let ch = text.charCodeAt(i);
			if (ch === SPACE || ch === TAB) {
				i++;
				continue;
			}
			let value = 0;
			const start = i;
			while (i < end && (ch = text.charCodeAt(i)) !== SPACE && ch !== TAB) {
				if (ch < ZERO || ch > NINE) {
					let tokenEnd = i;
					while (tokenEnd < end && text.charCodeAt(tokenEnd) !== SPACE) tokenEnd++;
					throw new ProcParseError(
						file,
						`line ${quote(text.slice(pos, end))} has a non-numeric field '${text.slice(start, tokenEnd)}'`
					);
				}
				value = value * 10 + (ch - ZERO);
				i++;
			}
			if (value > Number.MAX_SAFE_INTEGER) {
				throw new ProcParseError(
					file,
					`line ${quote(text.slice(pos, end))} has a counter beyond 2^53`
				);
			}
			if (count < fields.length) fields[count] = value;
			count++;
		}
		if (count < MIN_CPU_FIELDS) {
			throw new ProcParseError(
				file,
				`line ${quote(text.slice(pos, end))} has ${count} fields, expected at least ${MIN_CPU_FIELDS}`
			);
		}

		const times: CpuTimes = {
			user: fields[0],
			nice: fields[1],
			system: fields[2],
			idle: fields[3],
			iowait: fields[4],
			irq: fields[5],
			softirq: fields[6],
			steal: fields[7],
			// guest (2.6.24) and guest_nice (2.6.33) are absent on older kernels.
			guest: count > 8 ? fields[8] : 0,
			guestNice: count > 9 ? fields[9] : 0
		};
		if (labelEnd === pos + 3) {
			if (total) throw new ProcParseError(file, `more than one aggregate 'cpu' line`);
			total = times;
		} else {
			perCpu.push({ cpu: text.slice(pos, labelEnd), ...times });
		}
		pos = end + 1;
	}

	if (!total) throw new ProcParseError(file, `no aggregate 'cpu' line`);
	if (perCpu.length === 0) {
		throw new ProcParseError(
			file,
			`no per-CPU lines ('cpu0' ...) after the aggregate line: file truncated?`
		);
	}
	return { total, perCpu };
}

const MEMINFO_KEYS = ['MemTotal', 'MemAvailable', 'SwapTotal', 'SwapFree', 'SwapCached'] as const;
type MeminfoKey = (typeof MEMINFO_KEYS)[number];

/** Parses /proc/meminfo into bytes. MemAvailable (Linux ≥ 3.14) is required. */
export function parseMeminfo(text: string, file = '/proc/meminfo'): MemoryFigures {
	requireNewlineAtEnd(text, file);
	const kB: Record<MeminfoKey, number | undefined> = {
		MemTotal: undefined,
		MemAvailable: undefined,
		SwapTotal: undefined,
		SwapFree: undefined,
		SwapCached: undefined
	};
	let found = 0;
	let pos = 0;
	while (pos < text.length && found < MEMINFO_KEYS.length) {
		const end = text.indexOf('\n', pos);
		const first = text.charCodeAt(pos);
		// Every key we want starts with 'M' or 'S'; skip the rest without slicing.
		if (first === 77 /* M */ || first === 83 /* S */) {
			const colon = text.indexOf(':', pos);
			if (colon !== -1 && colon < end) {
				const key = text.slice(pos, colon);
				if (Object.hasOwn(kB, key) && kB[key as MeminfoKey] === undefined) {
					kB[key as MeminfoKey] = parseKbValue(text, colon + 1, end, pos, file);
					found++;
				}
			}
		}
		pos = end + 1;
	}
	for (const key of MEMINFO_KEYS) {
		if (kB[key] === undefined) {
			const hint = key === 'MemAvailable' ? ' (needs Linux 3.14 or later)' : '';
			throw new ProcParseError(file, `${key} missing${hint}`);
		}
	}
	const swapTotal = kB.SwapTotal as number;
	const swapFree = kB.SwapFree as number;
	if (swapFree > swapTotal) {
		throw new ProcParseError(file, `SwapFree ${swapFree} kB exceeds SwapTotal ${swapTotal} kB`);
	}
	return {
		memTotalBytes: (kB.MemTotal as number) * 1024,
		memAvailableBytes: (kB.MemAvailable as number) * 1024,
		swapTotalBytes: swapTotal * 1024,
		swapUsedBytes: (swapTotal - swapFree) * 1024,
		swapCachedBytes: (kB.SwapCached as number) * 1024
	};
}

/** Reads "   12345 kB" between `from` and `end`. */
function parseKbValue(
	text: string,
	from: number,
	end: number,
	lineStart: number,
	file: string
): number {
	let i = from;
	while (i < end && text.charCodeAt(i) === SPACE) i++;
	const digitsStart = i;
	let value = 0;
	let ch: number;
	while (i < end && (ch = text.charCodeAt(i)) >= ZERO && ch <= NINE) {
		value = value * 10 + (ch - ZERO);
		i++;
	}
	const unitOk = text.slice(i, end) === ' kB';
	if (i === digitsStart || !unitOk || value > Number.MAX_SAFE_INTEGER) {
		throw new ProcParseError(
			file,
			`line ${quote(text.slice(lineStart, end))} is not '<key>: <integer> kB'`
		);
	}
	return value;
}

/** Parses /proc/loadavg ("1.82 1.64 1.51 3/1423 2291877"). cpuCount comes from /proc/stat. */
export function parseLoadavg(text: string, file = '/proc/loadavg'): Omit<LoadFigures, 'cpuCount'> {
	requireNewlineAtEnd(text, file);
	const line = text.slice(0, text.indexOf('\n'));
	const parts = line.split(' ');
	if (parts.length < 5) {
		throw new ProcParseError(file, `line ${quote(line)} has ${parts.length} fields, expected 5`);
	}
	const [load1, load5, load15] = [parts[0], parts[1], parts[2]].map((part) => {
		// The kernel prints "%lu.%02lu"; accept any plain non-negative decimal.
		if (!/^\d+(\.\d+)?$/.test(part)) {
			throw new ProcParseError(
				file,
				`line ${quote(line)} has a non-numeric load average '${part}'`
			);
		}
		return Number(part);
	});
	return { load1, load5, load15 };
}
