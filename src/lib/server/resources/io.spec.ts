import { describe, expect, it } from 'vitest';
import { fillSentence, ioReport, type WritePoint } from './io';

const DAY = 86_400_000;
const D0 = 20_000 * DAY; // a UTC midnight
const NOW = D0 + 12 * 3_600_000; // noon

/** one point per minute in [from, to) at `bps` */
function span(from: number, to: number, bps: number): WritePoint[] {
	const out: WritePoint[] = [];
	for (let t = from; t < to; t += 60_000) out.push({ ts: t, writeBps: bps });
	return out;
}

describe('ioReport', () => {
	// quiet: 1000 B/s on D-3 and D-2 (86.4 MB each), 10 000 B/s on D-1 (864 MB), 1000 B/s this morning (43.2 MB)
	const quiet = {
		key: 'shop/quiet',
		name: 'quiet',
		stack: 'shop',
		points: [
			...span(D0 - 3 * DAY, D0 - DAY, 1000),
			...span(D0 - DAY, D0, 10_000),
			...span(D0, NOW, 1000)
		]
	};
	// heavy: 200 000 B/s for the last 24 h only: 8.64 GB yesterday afternoon, 8.64 GB this morning
	const heavy = {
		key: 'trade/backend',
		name: 'backend',
		stack: 'trade',
		points: [...span(NOW - DAY, NOW, 200_000), { ts: NOW - 30_000, writeBps: null }]
	};
	const report = ioReport([quiet, heavy], {
		now: NOW,
		thresholdBytesPerDay: 10e9,
		factor: 3,
		freeDiskBytes: 100e9
	});

	it('bytes per UTC day and in the last 24 h (rate × 60 s per minute)', () => {
		const q = report.rows.find((r) => r.key === 'shop/quiet')!;
		expect(q.days.map((d) => [d.dayStartMs, Math.round(d.bytes)])).toEqual([
			[D0 - 3 * DAY, 86_400_000],
			[D0 - 2 * DAY, 86_400_000],
			[D0 - DAY, 864_000_000],
			[D0, 43_200_000]
		]);
		// last 24 h: yesterday noon..midnight at 10 000 (432 MB) + this morning 43.2 MB
		expect(Math.round(q.bytesLast24h)).toBe(475_200_000);
		expect(q.medianDayBytes).toBe(86_400_000);
		const h = report.rows.find((r) => r.key === 'trade/backend')!;
		expect(Math.round(h.bytesLast24h)).toBe(17_280_000_000);
		expect(h.currentBps).toBeNull();
		// top writer first
		expect(report.rows.map((r) => r.name)).toEqual(['backend', 'quiet']);
	});

	it('anomalies: the rolling 24 h over the threshold, and a day over 3× its own median', () => {
		expect(
			report.anomalies.map((a) => [a.name, a.kind, a.dayStartMs, Math.round(a.bytes)])
		).toEqual([
			// no single UTC day of heavy passes 10 GB (8.64 each) but the last 24 h do (17.28 GB)
			['backend', 'threshold', null, 17_280_000_000],
			// 864 MB = 10× the 86.4 MB median
			['quiet', 'median', D0 - DAY, 864_000_000]
		]);
		expect(report.anomalies[0].message).toBe(
			'backend wrote 17.3 GB in the last 24 h (threshold 10.0 GB/day)'
		);
	});

	it('a day over the threshold is reported for that day', () => {
		const r = ioReport(
			[{ key: 'k', name: 'k', stack: null, points: span(D0 - DAY, D0, 116_000) }],
			{ now: NOW, thresholdBytesPerDay: 10e9, factor: 3, freeDiskBytes: null }
		);
		// 116 000 × 86 400 = 10.0224 GB > 10 GB; yesterday's day also covers the rolling window's overlap, so no second entry
		expect(r.anomalies.map((a) => [a.kind, a.dayStartMs])).toEqual([['threshold', D0 - DAY]]);
		// just under: 115 740 × 86 400 = 9.9999 GB
		const under = ioReport(
			[{ key: 'k', name: 'k', stack: null, points: span(D0 - DAY, D0, 115_740) }],
			{ now: NOW, thresholdBytesPerDay: 10e9, factor: 3, freeDiskBytes: null }
		);
		expect(under.anomalies).toEqual([]);
	});

	it('hour buckets give the same days as their minutes', () => {
		// 24 buckets of 3600 s at 116 000 B/s = one day of 10.0224 GB
		const hours = Array.from({ length: 24 }, (_, i) => ({
			ts: D0 - DAY + i * 3_600_000,
			writeBps: 116_000,
			seconds: 3600
		}));
		const r = ioReport([{ key: 'k', name: 'k', stack: null, points: hours, currentBps: 5 }], {
			now: NOW,
			thresholdBytesPerDay: 10e9,
			factor: 3,
			freeDiskBytes: null
		});
		expect(r.rows[0].days).toEqual([{ dayStartMs: D0 - DAY, bytes: 10_022_400_000 }]);
		expect(r.rows[0].currentBps).toBe(5);
		expect(r.anomalies.map((a) => [a.kind, a.dayStartMs])).toEqual([['threshold', D0 - DAY]]);
	});

	it('days to fill the free disk at the last 24 h rate', () => {
		expect(report.rows[0].daysToFill).toBeCloseTo(100e9 / 17.28e9, 9);
		expect(report.daysToFill).toBeCloseTo(100e9 / (17.28e9 + 475.2e6), 9);
		expect(fillSentence(report)).toBe('At this rate the free disk (100.0 GB) fills in 5.6 days');
		expect(report.fill).toBe(fillSentence(report));
		expect(fillSentence({ freeDiskBytes: 1e9, daysToFill: null })).toBeNull();
	});
});
