// Write spikes (pure): days where a container wrote more than k x its own daily median.
import type { TrendLine, WriteSpike } from '$lib/trends';

const DAY_MS = 86_400_000;

export function median(values: number[]): number {
	if (values.length === 0) return 0;
	const s = [...values].sort((a, b) => a - b);
	const mid = s.length >> 1;
	return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Bytes per UTC day from a bytes/s series sampled every `stepSec` (each point stands for the
 * step that ends at it), then the days above `factor` x the median of that container's days.
 * Needs at least 3 days of a container to have a median worth comparing with.
 */
export function writeSpikes({
	series,
	stepSec,
	factor
}: {
	series: TrendLine[];
	stepSec: number;
	factor: number;
}): WriteSpike[] {
	const spikes: WriteSpike[] = [];
	for (const s of series) {
		const days = new Map<number, number>();
		for (const [t, v] of s.points) {
			const day = Math.floor((t - 1) / DAY_MS) * DAY_MS;
			days.set(day, (days.get(day) ?? 0) + v * stepSec);
		}
		if (days.size < 3) continue;
		const med = median([...days.values()]);
		if (!(med > 0)) continue;
		for (const [dayStartMs, bytes] of days) {
			if (bytes > factor * med)
				spikes.push({ series: s.key, dayStartMs, bytes, medianBytes: med, ratio: bytes / med });
		}
	}
	return spikes.sort((a, b) => a.dayStartMs - b.dayStartMs || a.series.localeCompare(b.series));
}
