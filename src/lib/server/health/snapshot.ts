import type { HealthSnapshot, HistoryPoint, HostSample, Thresholds } from '$lib/health';
import { classify } from '../host/classify';

export interface SampleSource {
	latest(): HostSample | null;
	stats(): { lastSampleAt: number | null; lastError: string | null; running: boolean };
}

/**
 * The snapshot the API serves: the latest sample classified, marked stale (with the time of the
 * last good data) when the sampler has not produced a fresh one for three intervals.
 */
export function buildSnapshot({
	sampler,
	thresholds,
	hostId,
	intervalMs,
	now = Date.now()
}: {
	sampler: SampleSource;
	thresholds: Thresholds;
	hostId: string;
	intervalMs: number;
	now?: number;
}): HealthSnapshot {
	const sample = sampler.latest();
	const stats = sampler.stats();
	if (!sample) {
		const error = stats.lastError ?? 'no sample yet: the sampler is starting';
		const unknown = { status: 'UNKNOWN' as const, ok: false as const, error, reason: error };
		return { hostId, ts: null, status: 'UNKNOWN', steal: unknown, load: unknown, memory: unknown, swap: unknown, disks: [], reasons: [error], stale: { since: null, error } };
	}
	const snap = classify({ sample, thresholds, hostId });
	const ageMs = now - sample.ts;
	if (!stats.running || ageMs > intervalMs * 3) {
		const error = stats.lastError ?? (stats.running ? `no sample for ${Math.round(ageMs / 1000)} s` : 'the sampler is stopped');
		snap.stale = { since: new Date(sample.ts).toISOString(), error };
		snap.reasons = [`Data is stale (last good ${snap.stale.since}): ${error}`, ...snap.reasons];
	}
	return snap;
}

/** Points for charts: stored minutes, then the in-memory samples newer than the last stored minute. */
export function mergeSeries(stored: HistoryPoint[], recent: HostSample[]): HistoryPoint[] {
	const lastStored = stored.at(-1)?.ts ?? -Infinity;
	const fresh = recent.filter((s) => s.ts >= lastStored + 60_000).map(sampleToPoint);
	return [...stored, ...fresh];
}

export function sampleToPoint(s: HostSample): HistoryPoint {
	return {
		ts: s.ts,
		stealPct: s.cpu.ok ? s.cpu.stealPct : null,
		busyPct: s.cpu.ok ? s.cpu.busyPct : null,
		load1: s.load.ok ? s.load.load1 : null,
		memAvailableBytes: s.memory.ok ? s.memory.memAvailableBytes : null,
		swapUsedBytes: s.memory.ok ? s.memory.swapUsedBytes : null,
		swapCachedBytes: s.memory.ok ? s.memory.swapCachedBytes : null,
		disks: s.disks.flatMap((d) => (d.figures.ok ? [{ mount: d.mount, usedPct: d.figures.usedPct }] : []))
	};
}
