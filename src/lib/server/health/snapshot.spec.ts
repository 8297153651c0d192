import { describe, expect, it } from 'vitest';
import type { HostSample } from '$lib/health';
import { DEFAULT_THRESHOLDS } from '../host/classify';
import { historyPoint } from '$lib/history-point';
import { buildSnapshot, mergeSeries, type SampleSource } from './snapshot';

const GiB = 1024 ** 3;
const sample = (ts: number): HostSample => ({
	ts,
	cpu: { ok: true, stealPct: 1, busyPct: 10, intervalMs: 5000, perCpu: [] },
	load: { ok: true, load1: 0.5, load5: 0.5, load15: 0.5, cpuCount: 4 },
	memory: {
		ok: true,
		memTotalBytes: 16 * GiB,
		memAvailableBytes: 10 * GiB,
		swapTotalBytes: 4 * GiB,
		swapUsedBytes: 0,
		swapCachedBytes: 0
	},
	disks: [
		{
			mount: '/',
			figures: { ok: true, totalBytes: 100, usedBytes: 30, availBytes: 70, usedPct: 30 }
		}
	]
});

const source = (
	s: HostSample | null,
	running = true,
	lastError: string | null = null
): SampleSource => ({
	latest: () => s,
	lastGood: () => ({
		cpu: s?.ts ?? null,
		load: s?.ts ?? null,
		memory: s?.ts ?? null,
		disks: { '/': s?.ts ?? null }
	}),
	stats: () => ({ lastSampleAt: s?.ts ?? null, lastError, running })
});

const build = (src: SampleSource, now: number) =>
	buildSnapshot({
		sampler: src,
		thresholds: DEFAULT_THRESHOLDS,
		hostId: 'h',
		intervalMs: 5000,
		now
	});

describe('buildSnapshot', () => {
	it('is fresh within three intervals', () => {
		const snap = build(source(sample(1_000_000)), 1_000_000 + 15_000);
		expect(snap.stale).toBeUndefined();
		expect(snap.status).toBe('OK');
	});

	it('is stale after three intervals, with the time of the last good data and the last error', () => {
		const snap = build(
			source(sample(1_000_000), true, 'history insert: disk I/O error'),
			1_000_000 + 15_001
		);
		expect(snap.stale).toEqual({
			since: new Date(1_000_000).toISOString(),
			error: 'no new sample for 15 s; last error: history insert: disk I/O error'
		});
		expect(snap.status).toBe('UNKNOWN');
		expect(snap.memory).toMatchObject({ ok: true, memAvailableBytes: 10 * GiB }); // figures kept
	});

	it('is stale when the sampler is stopped, even with a recent sample', () => {
		const snap = build(source(sample(1_000_000), false), 1_000_001);
		expect(snap.stale?.error).toBe('the sampler is stopped');
		expect(snap.status).toBe('UNKNOWN');
	});

	it('has no figures and says why before the first sample', () => {
		const snap = build(source(null), 5);
		expect(snap).toMatchObject({ ts: null, status: 'UNKNOWN', stale: { since: null } });
	});
});

describe('mergeSeries', () => {
	it('appends in-memory samples newer than the last stored minute', () => {
		const stored = [historyPoint(0, sample(0)), historyPoint(60_000, sample(60_000))];
		const recent = [sample(100_000), sample(120_000), sample(125_000)];
		expect(mergeSeries(stored, recent).map((p) => p.ts)).toEqual([0, 60_000, 120_000, 125_000]);
		expect(mergeSeries([], recent).map((p) => p.ts)).toEqual([100_000, 120_000, 125_000]);
	});
});
