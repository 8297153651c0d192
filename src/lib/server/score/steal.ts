// The score's CPU input: steal averaged over the last 15 minutes (pure), so one noisy interval
// does not flip the tile. Each sample's steal covers the interval before it (intervalMs); the
// stored 1-minute means cover the time before the oldest sample still in the sampler's ring
// (after a restart the ring is short). The mean is weighted by the time each figure covers.
import type { HistoryPoint, HostSample } from '$lib/health';
import { MINUTE_MS } from '../host/minute-history';

export const STEAL_WINDOW_MS = 15 * 60_000;

export function stealAverage({
	samples,
	minutes,
	nowMs,
	windowMs = STEAL_WINDOW_MS
}: {
	samples: HostSample[];
	minutes: HistoryPoint[];
	nowMs: number;
	windowMs?: number;
}): { stealPct: number; coveredMs: number } | null {
	const from = nowMs - windowMs;
	let weighted = 0;
	let covered = 0;
	let samplesFrom = Infinity;
	const add = (start: number, end: number, pct: number) => {
		const w = Math.min(end, nowMs) - Math.max(start, from);
		if (w <= 0) return;
		weighted += pct * w;
		covered += w;
	};
	for (const s of samples) {
		if (!s.cpu.ok || s.cpu.stealPct === null || !s.cpu.intervalMs) continue;
		const start = s.ts - s.cpu.intervalMs;
		samplesFrom = Math.min(samplesFrom, start);
		add(start, s.ts, s.cpu.stealPct);
	}
	for (const m of minutes) {
		if (m.stealPct === null) continue;
		// only the part before the samples: the samples are the finer record of the rest
		add(m.ts, Math.min(m.ts + MINUTE_MS, samplesFrom), m.stealPct);
	}
	return covered > 0 ? { stealPct: weighted / covered, coveredMs: covered } : null;
}
