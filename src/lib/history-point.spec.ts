import { describe, expect, it } from 'vitest';
import type { HostSample } from './health';
import { historyPoint } from './history-point';

describe('historyPoint', () => {
	it('takes the chart figures of a sample; an unread metric is null, an unread mount is left out', () => {
		const sample: HostSample = {
			ts: 1000,
			cpu: { ok: true, stealPct: 8.25, busyPct: 30, intervalMs: 5000, perCpu: [] },
			load: { ok: false, error: 'truncated' },
			memory: {
				ok: true,
				memTotalBytes: 10,
				memAvailableBytes: 4,
				swapTotalBytes: 8,
				swapUsedBytes: 2,
				swapCachedBytes: 1
			},
			disks: [
				{
					mount: '/',
					figures: { ok: true, totalBytes: 100, usedBytes: 40, availBytes: 60, usedPct: 40 }
				},
				{ mount: '/gone', figures: { ok: false, error: 'ENOENT' } }
			]
		};
		const p = historyPoint(sample.ts, sample);
		expect(p).toEqual({
			ts: 1000,
			stealPct: 8.25,
			busyPct: 30,
			load1: null,
			memAvailableBytes: 4,
			swapUsedBytes: 2,
			swapCachedBytes: 1,
			disks: [{ mount: '/', usedPct: 40 }]
		});
	});
});
