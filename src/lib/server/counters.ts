// The one place cumulative counters (/proc/stat jiffies, cgroup usage, block bytes) become
// deltas and rates. Callers never subtract two counter readings themselves.

/**
 * Increase of a cumulative counter between two readings.
 * Returns null when the counter went backwards (reset, reboot, wrap, a restarted
 * container's cgroup) or when either reading is not a finite number: there is no honest
 * delta then, and a caller must not turn a reset into a huge negative rate.
 */
export function counterDelta(prev: number, next: number): number | null {
	if (!Number.isFinite(prev) || !Number.isFinite(next)) return null;
	if (next < prev) return null;
	return next - prev;
}

/**
 * Per-second rate of a cumulative counter over `elapsedMs`.
 * Null on a reset (see counterDelta) or a non-positive interval.
 */
export function counterRatePerSec({
	prev,
	next,
	elapsedMs
}: {
	prev: number;
	next: number;
	elapsedMs: number;
}): number | null {
	const delta = counterDelta(prev, next);
	if (delta === null || !(elapsedMs > 0)) return null;
	return (delta * 1000) / elapsedMs;
}
