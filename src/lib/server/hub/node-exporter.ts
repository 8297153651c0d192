// Host figures of a bare Docker host from node_exporter's /metrics text (Prometheus exposition
// format), turned into the sampler's HostSample so the same classification (host/classify.ts)
// judges them. Pure parsing; the fetch is the caller's. CPU steal and busy shares need two
// readings: pass the previous one's CPU totals.
import type { CpuFigures, HostSample, Metric } from '$lib/health';

export interface NodeMetric {
	name: string;
	labels: Record<string, string>;
	value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?\s*$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The sample lines of an exposition text (comments and malformed lines skipped). */
export function parseExposition(
	text: string,
	keep: (name: string) => boolean = () => true
): NodeMetric[] {
	const out: NodeMetric[] = [];
	for (const line of text.split('\n')) {
		if (!line || line.startsWith('#')) continue;
		const m = LINE.exec(line);
		if (!m || !keep(m[1])) continue;
		const labels: Record<string, string> = {};
		if (m[2])
			for (const l of m[2].matchAll(LABEL))
				labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
		const value = Number(m[3]);
		if (!Number.isNaN(value)) out.push({ name: m[1], labels, value });
	}
	return out;
}

/** Per-CPU jiffy-like totals (seconds) by mode, to diff against the next reading. */
export type CpuTotals = Map<string, Record<string, number>>;

const WANTED = new Set([
	'node_cpu_seconds_total',
	'node_load1',
	'node_load5',
	'node_load15',
	'node_memory_MemTotal_bytes',
	'node_memory_MemAvailable_bytes',
	'node_memory_SwapTotal_bytes',
	'node_memory_SwapFree_bytes',
	'node_memory_SwapCached_bytes',
	'node_filesystem_size_bytes',
	'node_filesystem_free_bytes',
	'node_filesystem_avail_bytes'
]);

function cpuFigures(
	now: CpuTotals,
	before: CpuTotals | null,
	intervalMs: number | null
): Metric<CpuFigures> {
	if (!now.size)
		return { ok: false, error: 'no node_cpu_seconds_total in the node_exporter answer' };
	if (!before) return { ok: true, stealPct: null, busyPct: null, intervalMs: null, perCpu: [] };
	const share = (a: Record<string, number>, b: Record<string, number> | undefined) => {
		if (!b) return null;
		let total = 0;
		const d: Record<string, number> = {};
		for (const [mode, v] of Object.entries(a)) {
			d[mode] = Math.max(0, v - (b[mode] ?? 0));
			total += d[mode];
		}
		if (total <= 0) return null;
		return {
			steal: ((d.steal ?? 0) / total) * 100,
			busy: ((total - (d.idle ?? 0) - (d.iowait ?? 0)) / total) * 100,
			d,
			total
		};
	};
	const perCpu: CpuFigures['perCpu'] = [];
	let sumSteal = 0;
	let sumBusy = 0;
	let sumTotal = 0;
	for (const [cpu, modes] of now) {
		const s = share(modes, before.get(cpu));
		if (!s) continue;
		perCpu.push({ cpu: `cpu${cpu}`, stealPct: s.steal, busyPct: s.busy });
		sumSteal += s.d.steal ?? 0;
		sumBusy += s.total - (s.d.idle ?? 0) - (s.d.iowait ?? 0);
		sumTotal += s.total;
	}
	if (sumTotal <= 0) return { ok: true, stealPct: null, busyPct: null, intervalMs, perCpu: [] };
	return {
		ok: true,
		stealPct: (sumSteal / sumTotal) * 100,
		busyPct: (sumBusy / sumTotal) * 100,
		intervalMs,
		perCpu
	};
}

/**
 * A HostSample from node_exporter's text. `mounts`: which filesystems to report (by mountpoint;
 * default: `/` when present, else every real filesystem). `previous`: the last reading's CPU
 * totals and time, for the steal and busy shares.
 */
export function sampleFromNodeExporter(
	text: string,
	{
		ts,
		mounts,
		previous
	}: { ts: number; mounts?: string[]; previous?: { ts: number; cpu: CpuTotals } | null }
): { sample: HostSample; cpu: CpuTotals } {
	const metrics = parseExposition(text, (n) => WANTED.has(n));
	const one = (name: string) => metrics.find((m) => m.name === name)?.value;
	const cpu: CpuTotals = new Map();
	for (const m of metrics) {
		if (m.name !== 'node_cpu_seconds_total' || m.labels.cpu === undefined || !m.labels.mode)
			continue;
		const modes = cpu.get(m.labels.cpu) ?? {};
		modes[m.labels.mode] = m.value;
		cpu.set(m.labels.cpu, modes);
	}
	const load1 = one('node_load1');
	const memTotal = one('node_memory_MemTotal_bytes');
	const memAvail = one('node_memory_MemAvailable_bytes');
	const swapTotal = one('node_memory_SwapTotal_bytes');
	const swapFree = one('node_memory_SwapFree_bytes');
	const fs = new Map<string, { size?: number; free?: number; avail?: number }>();
	for (const m of metrics) {
		if (!m.name.startsWith('node_filesystem_') || !m.labels.mountpoint) continue;
		const f = fs.get(m.labels.mountpoint) ?? {};
		if (m.name === 'node_filesystem_size_bytes') f.size = m.value;
		else if (m.name === 'node_filesystem_free_bytes') f.free = m.value;
		else f.avail = m.value;
		fs.set(m.labels.mountpoint, f);
	}
	const wanted = mounts ?? (fs.has('/') ? ['/'] : [...fs.keys()]);
	return {
		cpu,
		sample: {
			ts,
			cpu: cpuFigures(cpu, previous?.cpu ?? null, previous ? ts - previous.ts : null),
			load:
				load1 === undefined
					? { ok: false, error: 'no node_load1 in the node_exporter answer' }
					: {
							ok: true,
							load1,
							load5: one('node_load5') ?? load1,
							load15: one('node_load15') ?? load1,
							cpuCount: Math.max(1, cpu.size)
						},
			memory:
				memTotal === undefined || memAvail === undefined
					? {
							ok: false,
							error:
								'no node_memory_MemTotal_bytes / MemAvailable_bytes in the node_exporter answer'
						}
					: {
							ok: true,
							memTotalBytes: memTotal,
							memAvailableBytes: memAvail,
							swapTotalBytes: swapTotal ?? 0,
							swapUsedBytes: Math.max(0, (swapTotal ?? 0) - (swapFree ?? 0)),
							swapCachedBytes: one('node_memory_SwapCached_bytes') ?? 0
						},
			disks: wanted.map((mount) => {
				const f = fs.get(mount);
				if (!f || f.size === undefined || f.free === undefined || f.avail === undefined)
					return {
						mount,
						figures: {
							ok: false as const,
							error: `node_exporter reports no filesystem at ${mount}`
						}
					};
				// df's arithmetic (host/disk.ts): used = size - free; used % = used / (used + avail)
				const usedBytes = Math.max(0, f.size - f.free);
				const denominator = usedBytes + f.avail;
				return {
					mount,
					figures: {
						ok: true as const,
						totalBytes: f.size,
						usedBytes,
						availBytes: f.avail,
						usedPct: denominator > 0 ? (usedBytes / denominator) * 100 : 0
					}
				};
			})
		}
	};
}
