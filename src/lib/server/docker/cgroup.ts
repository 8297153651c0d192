// Container stats from the cgroup filesystem (DESIGN decision 5): microseconds per container
// where Docker's stats API costs 1-2 s. v2 and v1, systemd and cgroupfs drivers; the root is
// injectable (VMW_CGROUP_ROOT) so a containerised vmwarden can read the host's.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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

function num(text: string, what: string): number {
	const t = text.trim();
	if (!/^\d+$/.test(t)) throw new Error(`${what}: expected a number, got "${t.slice(0, 40)}"`);
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
 * Reads one container's counters. Throws (with the file named) when a required file is
 * unreadable. `withLimit: false` skips the limit file (the collector takes the limit from
 * the inspect; one file fewer per container per refresh).
 */
export function readCgroup(
	layout: CgroupLayout,
	rel: string,
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
	if (layout.version === 2) {
		const dir = path.join(layout.root, rel);
		const cpu = parseKeyValues(read(path.join(dir, 'cpu.stat')));
		const cpuUsec = cpu.get('usage_usec');
		if (cpuUsec === undefined) throw new Error(`${dir}/cpu.stat: no usage_usec`);
		const current = num(read(path.join(dir, 'memory.current')), `${dir}/memory.current`);
		const stat = parseKeyValues(read(path.join(dir, 'memory.stat')));
		const max = withLimit ? optional(path.join(dir, 'memory.max'))?.trim() : undefined;
		const io = sumDeviceIo(parseIoStat(optional(path.join(dir, 'io.stat')) ?? ''), isStackedLayer);
		const pids = optional(path.join(dir, 'pids.current'));
		return {
			cpuUsec,
			memUsedBytes: Math.max(0, current - (stat.get('inactive_file') ?? 0)),
			memLimitBytes: !max || max === 'max' ? null : num(max, `${dir}/memory.max`),
			...io,
			pids: pids === null ? null : num(pids, `${dir}/pids.current`)
		};
	}
	const c = layout.controllers!;
	const cpuNs = num(
		read(path.join(c.cpuacct, rel, 'cpuacct.usage')),
		`${c.cpuacct}/${rel}/cpuacct.usage`
	);
	const usage = num(
		read(path.join(c.memory, rel, 'memory.usage_in_bytes')),
		`${c.memory}/${rel}/memory.usage_in_bytes`
	);
	const stat = parseKeyValues(read(path.join(c.memory, rel, 'memory.stat')));
	const limitText = optional(path.join(c.memory, rel, 'memory.limit_in_bytes'));
	const limit = limitText === null ? null : num(limitText, 'memory.limit_in_bytes');
	const blkio =
		optional(path.join(c.blkio, rel, 'blkio.throttle.io_service_bytes_recursive')) ??
		optional(path.join(c.blkio, rel, 'blkio.throttle.io_service_bytes')) ??
		'';
	const pids = optional(path.join(c.pids, rel, 'pids.current'));
	return {
		cpuUsec: cpuNs / 1000,
		// docker stats on v1: usage minus total_inactive_file (inactive_file without hierarchy totals)
		memUsedBytes: Math.max(
			0,
			usage - (stat.get('total_inactive_file') ?? stat.get('inactive_file') ?? 0)
		),
		memLimitBytes: limit === null || limit >= V1_NO_LIMIT ? null : limit,
		...sumDeviceIo(parseBlkio(blkio), isStackedLayer),
		pids: pids === null ? null : num(pids, 'pids.current')
	};
}
