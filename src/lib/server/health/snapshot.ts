import type { HealthSnapshot, HistoryPoint, HostSample, Thresholds } from '$lib/health';
import { historyPoint } from '$lib/history-point';
import { classify, type LastGood } from '../host/classify';

export interface SampleSource {
	latest(): HostSample | null;
	lastGood(): LastGood;
	stats(): { lastSampleAt: number | null; lastError: string | null; running: boolean };
}

/** Data older than three sampling intervals is stale: one rule for the snapshot, the memo and /healthz. */
export const staleAfterMs = (intervalMs: number) => intervalMs * 3;

export function isFresh(
	lastSampleAt: number | null,
	intervalMs: number,
	now = Date.now()
): boolean {
	return lastSampleAt !== null && now - lastSampleAt <= staleAfterMs(intervalMs);
}

/**
 * The snapshot the API serves: the latest sample classified; marked stale, with the time of
 * the last good data, when no fresh sample came for three intervals or the sampler is stopped.
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
	const snap = classify({
		sample: sampler.latest(),
		thresholds,
		hostId,
		lastGood: sampler.lastGood(),
		nowMs: now,
		staleAfterMs: staleAfterMs(intervalMs)
	});
	const { running, lastError } = sampler.stats();
	if (!running && !snap.stale) {
		snap.stale = { since: snap.ts, error: 'the sampler is stopped' };
		snap.reasons = [`The sampler is stopped: figures are from ${snap.ts}`, ...snap.reasons];
		if (snap.status === 'OK') snap.status = 'UNKNOWN';
	}
	if (snap.stale && lastError) snap.stale.error = `${snap.stale.error}; last error: ${lastError}`;
	return snap;
}

/**
 * Points for charts: stored minutes (or buckets of them), then the in-memory samples newer than
 * the last stored minute (`lastStoredTs`: a bucket is stamped at its start, its last minute is later).
 */
export function mergeSeries(
	stored: HistoryPoint[],
	recent: HostSample[],
	lastStoredTs: number | null = stored.at(-1)?.ts ?? null
): HistoryPoint[] {
	const lastStored = lastStoredTs ?? -Infinity;
	const fresh = recent.filter((s) => s.ts >= lastStored + 60_000).map((s) => historyPoint(s.ts, s));
	return [...stored, ...fresh];
}
