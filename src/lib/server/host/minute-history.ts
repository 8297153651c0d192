// 1-minute means of the samples, for the stored history: the sampler feeds each sample's point,
// and gets back the previous minute's mean when a sample of a new minute arrives.
import type { HistoryPoint } from '$lib/health';

export const MINUTE_MS = 60_000;

type Field =
	'stealPct' | 'busyPct' | 'load1' | 'memAvailableBytes' | 'swapUsedBytes' | 'swapCachedBytes';
const FIELDS: Field[] = [
	'stealPct',
	'busyPct',
	'load1',
	'memAvailableBytes',
	'swapUsedBytes',
	'swapCachedBytes'
];
/** Byte counts stay whole numbers. */
const WHOLE = new Set<Field>(['memAvailableBytes', 'swapUsedBytes', 'swapCachedBytes']);

/**
 * The mean of points taken in one minute, stamped with the minute's start. A null figure is
 * "not read", not zero: it is left out of its mean, and a figure no point had stays null.
 * A mount with no reading in the minute is left out rather than stored as null.
 */
export function meanPoint(minuteTs: number, points: HistoryPoint[]): HistoryPoint {
	const out = { ts: minuteTs, disks: [] } as unknown as HistoryPoint;
	for (const f of FIELDS) {
		let sum = 0;
		let n = 0;
		for (const p of points) {
			const v = p[f];
			if (v != null) {
				sum += v;
				n++;
			}
		}
		out[f] = n ? (WHOLE.has(f) ? Math.round(sum / n) : sum / n) : null;
	}
	const disks = new Map<string, { sum: number; n: number }>();
	for (const p of points)
		for (const d of p.disks) {
			const m = disks.get(d.mount) ?? { sum: 0, n: 0 };
			m.sum += d.usedPct;
			m.n++;
			disks.set(d.mount, m);
		}
	out.disks = [...disks].map(([mount, m]) => ({ mount, usedPct: m.sum / m.n }));
	return out;
}

/** Collects the current minute's points; `add` returns the closed minute's mean when the minute changes. */
export function createMinuteHistory() {
	let minuteTs: number | null = null;
	let points: HistoryPoint[] = [];
	return {
		add(point: HistoryPoint): HistoryPoint | null {
			const ts = Math.floor(point.ts / MINUTE_MS) * MINUTE_MS;
			let closed: HistoryPoint | null = null;
			if (minuteTs !== null && minuteTs !== ts) {
				closed = meanPoint(minuteTs, points);
				points = [];
			}
			minuteTs = ts;
			points.push(point);
			return closed;
		}
	};
}
