// The trend catalog from the app's own SQLite history (no Prometheus configured): the same
// series keys as the PromQL side, bucketed to the same step (pure).
import type { HistoryPoint } from '$lib/health';
import type { TrendId, TrendLine } from '$lib/trends';

type Pick = { key: string; label: string; read: (p: HistoryPoint) => number | null }[] | 'disks';

const LOCAL: Record<TrendId, Pick | string> = {
	disk: 'disks',
	memory: [
		{ key: 'available', label: 'available', read: (p) => p.memAvailableBytes },
		{ key: 'swap', label: 'swap used', read: (p) => p.swapUsedBytes }
	],
	steal: [{ key: 'steal', label: 'steal', read: (p) => p.stealPct }],
	load: [{ key: 'load1', label: 'load1', read: (p) => p.load1 }],
	containers:
		'not in the local history: needs Prometheus scraping vmwarden /metrics (VMW_PROMETHEUS_URL)',
	// served from the stats collector's container history when there is one (trends.ts)
	io: 'not in the local history: needs Prometheus with cAdvisor or vmwarden /metrics (VMW_PROMETHEUS_URL)'
};

/** Mean per step-aligned bucket, stamped at the bucket start; empty buckets are gaps. */
function bucket(samples: [number, number][], stepMs: number): [number, number][] {
	const out: [number, number][] = [];
	let cur = NaN;
	let sum = 0;
	let n = 0;
	for (const [t, v] of samples) {
		const b = Math.floor(t / stepMs) * stepMs;
		if (b !== cur) {
			if (n) out.push([cur, sum / n]);
			cur = b;
			sum = 0;
			n = 0;
		}
		sum += v;
		n++;
	}
	if (n) out.push([cur, sum / n]);
	return out;
}

export function localLines(
	id: TrendId,
	points: HistoryPoint[],
	stepSec: number
): { series: TrendLine[]; noData: string | null } {
	const pick = LOCAL[id];
	if (typeof pick === 'string' && pick !== 'disks') return { series: [], noData: pick };
	const stepMs = stepSec * 1000;
	let series: TrendLine[];
	if (pick === 'disks') {
		const byMount = new Map<string, [number, number][]>();
		for (const p of points)
			for (const d of p.disks) {
				let list = byMount.get(d.mount);
				if (!list) byMount.set(d.mount, (list = []));
				list.push([p.ts, d.usedPct]);
			}
		series = [...byMount]
			.sort(([a], [b]) => a.localeCompare(b))
			.map(([mount, s]) => ({ key: mount, label: mount, points: bucket(s, stepMs) }));
	} else {
		series = pick.map(({ key, label, read }) => {
			const s: [number, number][] = [];
			for (const p of points) {
				const v = read(p);
				if (v !== null && Number.isFinite(v)) s.push([p.ts, v]);
			}
			return { key, label, points: bucket(s, stepMs) };
		});
		series = series.filter((s) => s.points.length > 0);
	}
	return { series, noData: series.length ? null : 'no local history for this range yet' };
}
