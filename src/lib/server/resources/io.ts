// I/O anomaly detector (pure): ROADMAP 0.3 and the backlog's "invttrdg-backend write audit".
// Per container: bytes written per UTC day and in the last 24 h (from the 1-minute mean write
// rate × 60 s), an anomaly when a day (or the rolling last 24 h) exceeds a fixed threshold
// (default 10 GB/day) or `factor` × the container's own daily median (the trends module's
// writeSpikes, which wants 3 days), and how soon the free disk fills at the last 24 h's rate.
import { median, writeSpikes } from '../trends/spikes';

const DAY_MS = 86_400_000;
const MINUTE_S = 60;

export interface WritePoint {
	/** start of the step, epoch ms (a step never crosses a UTC midnight) */
	ts: number;
	/** mean write rate over the step, bytes/s */
	writeBps: number | null;
	/** length of the step, s (default 60: the history's minutes; report.ts sums them into hours) */
	seconds?: number;
}

export interface IoInput {
	key: string;
	name: string;
	stack: string | null;
	points: WritePoint[];
	/** the collector's latest write rate, bytes/s; null when not running or unknown */
	currentBps?: number | null;
}

export interface IoAnomaly {
	key: string;
	name: string;
	/** 'threshold': above the fixed bytes/day; 'median': above factor × its own daily median */
	kind: 'threshold' | 'median';
	/** UTC midnight of the day; null for the rolling last 24 h */
	dayStartMs: number | null;
	bytes: number;
	/** what it was compared with: the threshold, or factor × median */
	limitBytes: number;
	message: string;
}

export interface IoRow {
	key: string;
	name: string;
	stack: string | null;
	/** bytes written in the 24 h before `now` */
	bytesLast24h: number;
	/** the first written point inside those 24 h: on a container's first day they cover only `now` − this */
	last24hFromMs: number | null;
	/** the collector's latest write rate, bytes/s */
	currentBps: number | null;
	/** oldest first */
	days: { dayStartMs: number; bytes: number }[];
	medianDayBytes: number | null;
	/** days until the free disk is full at this container's last-24 h rate; null when it wrote nothing or free disk is unknown */
	daysToFill: number | null;
	anomalies: IoAnomaly[];
}

export interface IoReport {
	rows: IoRow[];
	totalBytesLast24h: number;
	freeDiskBytes: number | null;
	/** days until the free disk is full at all containers' last-24 h rate */
	daysToFill: number | null;
	anomalies: IoAnomaly[];
	thresholdBytesPerDay: number;
	factor: number;
	/** fillSentence of this report, for the page */
	fill: string | null;
}

export interface IoOptions {
	now: number;
	thresholdBytesPerDay: number;
	factor: number;
	freeDiskBytes: number | null;
}

export const formatGB = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;
const dayIso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function fillDays(free: number | null, perDay: number): number | null {
	return free === null || !(perDay > 0) ? null : free / perDay;
}

export function ioReport(
	inputs: IoInput[],
	{ now, thresholdBytesPerDay, factor, freeDiskBytes }: IoOptions
): IoReport {
	const rows: IoRow[] = [];
	for (const c of inputs) {
		const pts = c.points
			.filter((p) => p.writeBps !== null && p.ts <= now)
			.map((p) => ({ ts: p.ts, bytes: (p.writeBps as number) * (p.seconds ?? MINUTE_S) }));
		const byDay = new Map<number, number>();
		let last24 = 0;
		let last24From: number | null = null;
		for (const p of pts) {
			const day = Math.floor(p.ts / DAY_MS) * DAY_MS;
			byDay.set(day, (byDay.get(day) ?? 0) + p.bytes);
			if (p.ts >= now - DAY_MS) {
				last24 += p.bytes;
				last24From = Math.min(last24From ?? p.ts, p.ts);
			}
		}
		const days = [...byDay]
			.sort(([a], [b]) => a - b)
			.map(([dayStartMs, bytes]) => ({ dayStartMs, bytes }));
		const anomalies: IoAnomaly[] = [];
		for (const d of days)
			if (d.bytes > thresholdBytesPerDay)
				anomalies.push({
					key: c.key,
					name: c.name,
					kind: 'threshold',
					dayStartMs: d.dayStartMs,
					bytes: d.bytes,
					limitBytes: thresholdBytesPerDay,
					message: `${c.name} wrote ${formatGB(d.bytes)} on ${dayIso(d.dayStartMs)} (threshold ${formatGB(thresholdBytesPerDay)}/day)`
				});
		if (
			last24 > thresholdBytesPerDay &&
			!anomalies.some((a) => a.dayStartMs !== null && a.dayStartMs >= now - DAY_MS)
		)
			anomalies.push({
				key: c.key,
				name: c.name,
				kind: 'threshold',
				dayStartMs: null,
				bytes: last24,
				limitBytes: thresholdBytesPerDay,
				message: `${c.name} wrote ${formatGB(last24)} in the last 24 h (threshold ${formatGB(thresholdBytesPerDay)}/day)`
			});
		// writeSpikes wants each point at the END of a 60-s step: the bytes of any step as bytes/60
		const spikes = writeSpikes({
			series: [
				{ key: c.key, label: c.name, points: pts.map((p) => [p.ts + 60_000, p.bytes / MINUTE_S]) }
			],
			stepSec: MINUTE_S,
			factor
		});
		for (const s of spikes)
			anomalies.push({
				key: c.key,
				name: c.name,
				kind: 'median',
				dayStartMs: s.dayStartMs,
				bytes: s.bytes,
				limitBytes: factor * s.medianBytes,
				message: `${c.name} wrote ${formatGB(s.bytes)} on ${dayIso(s.dayStartMs)}, ${s.ratio.toFixed(1)}× its daily median (${formatGB(s.medianBytes)})`
			});
		rows.push({
			key: c.key,
			name: c.name,
			stack: c.stack,
			bytesLast24h: last24,
			last24hFromMs: last24From,
			currentBps: c.currentBps ?? null,
			days,
			medianDayBytes: days.length ? median(days.map((d) => d.bytes)) : null,
			daysToFill: fillDays(freeDiskBytes, last24),
			anomalies
		});
	}
	rows.sort((a, b) => b.bytesLast24h - a.bytesLast24h || a.name.localeCompare(b.name));
	const total = rows.reduce((s, r) => s + r.bytesLast24h, 0);
	const daysToFill = fillDays(freeDiskBytes, total);
	return {
		rows,
		totalBytesLast24h: total,
		freeDiskBytes,
		daysToFill,
		anomalies: rows.flatMap((r) => r.anomalies),
		thresholdBytesPerDay,
		factor,
		fill: fillSentence({ freeDiskBytes, daysToFill })
	};
}

/** "At this rate the free disk (123.0 GB) fills in 3.1 days", or null when nothing is written. */
export function fillSentence(r: Pick<IoReport, 'freeDiskBytes' | 'daysToFill'>): string | null {
	if (r.freeDiskBytes === null || r.daysToFill === null) return null;
	return `At this rate the free disk (${formatGB(r.freeDiskBytes)}) fills in ${r.daysToFill < 10 ? r.daysToFill.toFixed(1) : Math.round(r.daysToFill)} days`;
}
