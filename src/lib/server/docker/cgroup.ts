// Container stats from the cgroup filesystem (DESIGN decision 5): microseconds per container
// where Docker's stats API costs 1-2 s. v2 and v1, systemd and cgroupfs drivers; the root is
// injectable (VMW_CGROUP_ROOT) so a containerised vmwarden can read the host's.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';

/** One reading of a container's cumulative counters and gauges. */
export interface CgroupReading {
	/** cumulative CPU time, µs */
	cpuUsec: number;
	/** usage minus inactive file cache, as `docker stats` shows */
	memUsedBytes: number;
	/** null = no limit */
	memLimitBytes: number | null;
	/** cumulative bytes read / written, stacked devices counted once */
	readBytes: number;
	writeBytes: number;
	pids: number | null;
}

export type CgroupVersion = 1 | 2;

export interface CgroupLayout {
	version: CgroupVersion;
	root: string;
	/** v1: directory of each controller (cpuacct may be mounted as cpu,cpuacct) */
	controllers: { cpuacct: string; memory: string; blkio: string; pids: string } | null;
}

export function detectLayout(root: string): CgroupLayout {
	if (existsSync(path.join(root, 'cgroup.controllers')))
		return { version: 2, root, controllers: null };
	const pick = (...names: string[]) =>
		names.map((n) => path.join(root, n)).find((p) => existsSync(p)) ?? path.join(root, names[0]);
	return {
		version: 1,
		root,
		controllers: {
			cpuacct: pick('cpuacct', 'cpu,cpuacct', 'cpuacct,cpu'),
			memory: pick('memory'),
			blkio: pick('blkio'),
			pids: pick('pids')
		}
	};
}

/**
 * Directories (relative to a hierarchy's root) where a container's cgroup may be, most likely
 * first: the systemd driver puts it in `<parent slice path>/docker-<id>.scope` (parent
 * `system.slice` by default; `a-b.slice` nests as `a.slice/a-b.slice`), cgroupfs in
 * `<parent or /docker>/<id>`.
 */
export function candidateDirs(id: string, cgroupParent = ''): string[] {
	const out: string[] = [];
	const parent = cgroupParent.replace(/^\/+|\/+$/g, '');
	if (parent.endsWith('.slice')) {
		const parts = parent.split('-');
		const nested = parts
			.map((_, i) => parts.slice(0, i + 1).join('-') + (i < parts.length - 1 ? '.slice' : ''))
			.join('/');
		out.push(`${nested}/docker-${id}.scope`);
	} else if (parent) {
		out.push(`${parent}/${id}`);
	}
	out.push(`system.slice/docker-${id}.scope`, `docker/${id}`);
	return [...new Set(out)];
}

/** Finds the container's directory (v2: under root; v1: under the memory controller). */
export function findContainerDir(
	layout: CgroupLayout,
	id: string,
	cgroupParent = ''
): string | null {
	const base = layout.version === 2 ? layout.root : layout.controllers!.memory;
	for (const rel of candidateDirs(id, cgroupParent))
		if (existsSync(path.join(base, rel))) return rel;
	return null;
}

// ---------------------------------------------------------------- pure parsers

/** "key value" lines -> map (cpu.stat, memory.stat). */
export function parseKeyValues(text: string): Map<string, number> {
	const m = new Map<string, number>();
	for (const line of text.split('\n')) {
		const [k, v] = line.trim().split(/\s+/);
		if (k && v !== undefined && /^\d+$/.test(v)) m.set(k, Number(v));
	}
	return m;
}

/**
 * One key's value in "key value" lines (cpu.stat, memory.stat), as parseKeyValues would give it,
 * without splitting the file: the collector needs one key of memory.stat's 30-40 lines for every
 * container at every refresh, and splitting them was the largest part of its garbage (issue 24).
 */
export function statValue(text: string, key: string): number | undefined {
	for (let i = text.indexOf(key); i >= 0; i = text.indexOf(key, i + key.length)) {
		// the whole key, first on its line (inactive_file is also the tail of total_inactive_file)
		let b = i - 1;
		while (b >= 0 && (text.charCodeAt(b) === 32 || text.charCodeAt(b) === 9)) b--;
		let j = i + key.length;
		const after = text.charCodeAt(j);
		if ((b >= 0 && text.charCodeAt(b) !== 10) || !(after === 32 || after === 9)) continue;
		while (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9) j++;
		const start = j;
		while (text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
		const end = j;
		while (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9 || text.charCodeAt(j) === 13) j++;
		// a value that is not all digits is no value, as in parseKeyValues
		if (end === start || (j < text.length && text.charCodeAt(j) !== 10)) return undefined;
		return Number(text.slice(start, end));
	}
	return undefined;
}

const isSpace = (c: number) => c === 32 || c === 10 || c === 9 || c === 13;

/** A file holding one number ("123\n"); read for every container at every refresh, so no regex. */
function num(text: string, what: string): number {
	let start = 0;
	let end = text.length;
	while (start < end && isSpace(text.charCodeAt(start))) start++;
	while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
	let digits = end > start;
	for (let i = start; digits && i < end; i++) {
		const c = text.charCodeAt(i);
		digits = c >= 48 && c <= 57;
	}
	const t = text.slice(start, end);
	if (!digits) throw new Error(`${what}: expected a number, got "${t.slice(0, 40)}"`);
	return Number(t);
}

export interface DeviceIo {
	device: string;
	readBytes: number;
	writeBytes: number;
}

/** v2 io.stat: "MAJ:MIN rbytes=… wbytes=… rios=…". */
export function parseIoStat(text: string): DeviceIo[] {
	const out: DeviceIo[] = [];
	if (!text.includes(':')) return out; // no device line (read at every refresh: no split for nothing)
	for (const line of text.split('\n')) {
		const [device, ...fields] = line.trim().split(/\s+/);
		if (!device || !/^\d+:\d+$/.test(device)) continue;
		const kv = Object.fromEntries(fields.map((f) => f.split('=')));
		out.push({ device, readBytes: Number(kv.rbytes ?? 0), writeBytes: Number(kv.wbytes ?? 0) });
	}
	return out;
}

/** v1 blkio.throttle.io_service_bytes(_recursive): "MAJ:MIN Read n" / "… Write n" / "Total n". */
export function parseBlkio(text: string): DeviceIo[] {
	// a cgroup that did no block I/O reads "Total 0": nothing to split at every refresh
	if (!text.includes(':')) return [];
	const byDev = new Map<string, DeviceIo>();
	for (const line of text.split('\n')) {
		const [device, op, value] = line.trim().split(/\s+/);
		if (!device || !/^\d+:\d+$/.test(device) || !value) continue;
		const d = byDev.get(device) ?? { device, readBytes: 0, writeBytes: 0 };
		if (op === 'Read') d.readBytes += Number(value);
		else if (op === 'Write') d.writeBytes += Number(value);
		byDev.set(device, d);
	}
	return [...byDev.values()];
}

/**
 * Sums per-device I/O counting each byte once. A write through a device-mapper (or md) volume
 * is accounted on the volume AND on the disk beneath it, so when both layers appear only the
 * bottom devices are summed (they carry every byte that reached a disk). Only when every
 * listed device is a stacked layer are those summed.
 */
export function sumDeviceIo(
	devices: DeviceIo[],
	isStackedLayer: (device: string) => boolean
): { readBytes: number; writeBytes: number } {
	const bottom = devices.filter((d) => !isStackedLayer(d.device));
	const counted = bottom.length > 0 ? bottom : devices;
	return counted.reduce(
		(a, d) => ({ readBytes: a.readBytes + d.readBytes, writeBytes: a.writeBytes + d.writeBytes }),
		{ readBytes: 0, writeBytes: 0 }
	);
}

/** Majors of stacking drivers from /proc/devices' block section (device-mapper, md). */
export function stackedMajors(procDevices: string): Set<number> {
	const out = new Set<number>();
	const block = procDevices.split(/Block devices:/)[1] ?? '';
	for (const line of block.split('\n')) {
		const [major, name] = line.trim().split(/\s+/);
		if (name === 'device-mapper' || name === 'md' || name === 'mdp') out.add(Number(major));
	}
	return out;
}

/**
 * A device is a stacked layer when sysfs lists slaves under it (/sys/dev/block/M:m/slaves),
 * or, when sysfs cannot tell, when its major belongs to device-mapper/md.
 */
export function createStackedLayerTest({
	sysRoot = '/sys',
	procRoot = '/proc'
}: { sysRoot?: string; procRoot?: string } = {}): (device: string) => boolean {
	let majors: Set<number> | null = null;
	const cache = new Map<string, boolean>();
	return (device) => {
		const hit = cache.get(device);
		if (hit !== undefined) return hit;
		let stacked: boolean;
		try {
			stacked = readdirSync(path.join(sysRoot, 'dev/block', device, 'slaves')).length > 0;
		} catch {
			if (!majors) {
				try {
					majors = stackedMajors(readFileSync(path.join(procRoot, 'devices'), 'utf8'));
				} catch {
					majors = new Set([253]); // device-mapper's usual major
				}
			}
			stacked = majors.has(Number(device.split(':')[0]));
		}
		cache.set(device, stacked);
		return stacked;
	};
}

/** cgroup v1 reports "no limit" as a page-rounded 2^63-1. */
const V1_NO_LIMIT = 2 ** 62;

export type FileReader = (file: string) => string;
const readText: FileReader = (f) => readFileSync(f, 'utf8');

/**
 * A FileReader for files read again and again (every running container's counters, every
 * refresh): each file stays open and is re-read from offset 0, which the kernel answers with fresh
 * figures. Opening a cgroup file walks its path in the kernel; on the reference stack (36
 * containers, 5 files each, every 5 s) open + read + close cost 2.5 ms of CPU per refresh and a
 * read of an open file 0.45 ms (issue 24). A file whose cgroup was removed (the container stopped
 * or restarted: Docker makes a new cgroup at the same path) fails its read: it is opened again
 * once. A missing file is remembered as missing (no error object at every refresh) until
 * `forget`. At most `maxOpen` files are kept open; past that, files are opened for each read.
 */
export function createKeptFileReader({
	maxOpen = 1024,
	fs = { openSync, readSync, closeSync }
}: {
	maxOpen?: number;
	/** the file calls (a spec fails a read the way a removed cgroup's file does) */
	fs?: {
		openSync: (file: string, flags: 'r') => number;
		readSync: (fd: number, buf: Buffer, offset: number, length: number, position: number) => number;
		closeSync: (fd: number) => void;
	};
} = {}) {
	const fds = new Map<string, number>();
	const missing = new Set<string>();
	let buf = Buffer.allocUnsafe(16 * 1024);
	const enoent = (file: string) =>
		Object.assign(new Error(`ENOENT: no such file or directory, open '${file}'`), {
			code: 'ENOENT'
		});

	function readFd(fd: number): string {
		for (;;) {
			const n = fs.readSync(fd, buf, 0, buf.length, 0);
			if (n < buf.length) return buf.toString('latin1', 0, n);
			buf = Buffer.allocUnsafe(buf.length * 2); // a larger file (io.stat of many devices)
		}
	}

	function open(file: string): number {
		try {
			return fs.openSync(file, 'r');
		} catch (err) {
			if ((err as NodeJS.ErrnoException).code === 'ENOENT') missing.add(file);
			throw err;
		}
	}

	function close(file: string) {
		const fd = fds.get(file);
		if (fd === undefined) return;
		fds.delete(file);
		try {
			fs.closeSync(fd);
		} catch {
			/* already gone */
		}
	}

	const read: FileReader = (file) => {
		if (missing.has(file)) throw enoent(file);
		const kept = fds.get(file);
		if (kept !== undefined) {
			try {
				return readFd(kept);
			} catch {
				close(file); // its cgroup is gone (ENODEV): the path may hold a new one
			}
		}
		const fd = open(file);
		if (fds.size >= maxOpen) {
			try {
				return readFd(fd);
			} finally {
				fs.closeSync(fd);
			}
		}
		fds.set(file, fd);
		try {
			return readFd(fd);
		} catch (err) {
			close(file);
			throw err;
		}
	};

	return {
		read,
		/** Closes these files and forgets that any were missing (a container no longer read). */
		forget(files: Iterable<string>) {
			for (const f of files) {
				close(f);
				missing.delete(f);
			}
		},
		/** Closes every file. */
		close() {
			for (const f of [...fds.keys()]) close(f);
			missing.clear();
		},
		get openFiles() {
			return fds.size;
		}
	};
}

/** Every file of a container's reading, for `forget`. */
export const filesOf = (f: CgroupFiles): string[] => [
	f.cpu,
	f.memUsage,
	f.memStat,
	f.memLimit,
	...f.io,
	f.pids
];

/** The files behind one container's reading: worked out once per container, not at every refresh. */
export interface CgroupFiles {
	version: CgroupVersion;
	/** the container's directory (v1: under the memory controller), for messages */
	dir: string;
	cpu: string;
	memUsage: string;
	memStat: string;
	memLimit: string;
	/** block I/O: the first of these that can be read */
	io: string[];
	pids: string;
}

export function cgroupFiles(layout: CgroupLayout, rel: string): CgroupFiles {
	if (layout.version === 2) {
		const dir = path.join(layout.root, rel);
		return {
			version: 2,
			dir,
			cpu: path.join(dir, 'cpu.stat'),
			memUsage: path.join(dir, 'memory.current'),
			memStat: path.join(dir, 'memory.stat'),
			memLimit: path.join(dir, 'memory.max'),
			io: [path.join(dir, 'io.stat')],
			pids: path.join(dir, 'pids.current')
		};
	}
	const c = layout.controllers!;
	const memory = path.join(c.memory, rel);
	return {
		version: 1,
		dir: memory,
		cpu: path.join(c.cpuacct, rel, 'cpuacct.usage'),
		memUsage: path.join(memory, 'memory.usage_in_bytes'),
		memStat: path.join(memory, 'memory.stat'),
		memLimit: path.join(memory, 'memory.limit_in_bytes'),
		io: [
			path.join(c.blkio, rel, 'blkio.throttle.io_service_bytes_recursive'),
			path.join(c.blkio, rel, 'blkio.throttle.io_service_bytes')
		],
		pids: path.join(c.pids, rel, 'pids.current')
	};
}

/**
 * Reads one container's counters. Throws (with the file named) when a required file is
 * unreadable. `withLimit: false` skips the limit file (the collector takes the limit from
 * the inspect; one file fewer per container per refresh).
 */
export function readCgroup(
	layout: CgroupLayout,
	rel: string,
	isStackedLayer: (device: string) => boolean,
	read: FileReader = readText,
	opts: { withLimit?: boolean } = {}
): CgroupReading {
	return readCgroupFiles(cgroupFiles(layout, rel), isStackedLayer, read, opts);
}

/** readCgroup over files already worked out (the stats collector keeps them per container). */
export function readCgroupFiles(
	f: CgroupFiles,
	isStackedLayer: (device: string) => boolean,
	read: FileReader = readText,
	{ withLimit = true }: { withLimit?: boolean } = {}
): CgroupReading {
	const optional = (file: string): string | null => {
		try {
			return read(file);
		} catch {
			return null;
		}
	};
	const firstOf = (files: string[]) => {
		for (const file of files) {
			const text = optional(file);
			if (text !== null) return text;
		}
		return '';
	};
	const pidsText = optional(f.pids);
	const pids = pidsText === null ? null : num(pidsText, f.pids);
	if (f.version === 2) {
		const cpuUsec = statValue(read(f.cpu), 'usage_usec');
		if (cpuUsec === undefined) throw new Error(`${f.dir}/cpu.stat: no usage_usec`);
		const current = num(read(f.memUsage), f.memUsage);
		const inactive = statValue(read(f.memStat), 'inactive_file') ?? 0;
		const max = withLimit ? optional(f.memLimit)?.trim() : undefined;
		return {
			cpuUsec,
			memUsedBytes: Math.max(0, current - inactive),
			memLimitBytes: !max || max === 'max' ? null : num(max, f.memLimit),
			...sumDeviceIo(parseIoStat(firstOf(f.io)), isStackedLayer),
			pids
		};
	}
	const cpuNs = num(read(f.cpu), f.cpu);
	const usage = num(read(f.memUsage), f.memUsage);
	const stat = read(f.memStat);
	// docker stats on v1: usage minus total_inactive_file (inactive_file without hierarchy totals)
	const inactive = statValue(stat, 'total_inactive_file') ?? statValue(stat, 'inactive_file') ?? 0;
	const limitText = withLimit ? optional(f.memLimit) : null;
	const limit = limitText === null ? null : num(limitText, f.memLimit);
	return {
		cpuUsec: cpuNs / 1000,
		memUsedBytes: Math.max(0, usage - inactive),
		memLimitBytes: limit === null || limit >= V1_NO_LIMIT ? null : limit,
		...sumDeviceIo(parseBlkio(firstOf(f.io)), isStackedLayer),
		pids
	};
}
