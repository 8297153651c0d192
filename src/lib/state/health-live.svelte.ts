// Live host health for a page: starts from server-loaded data, then follows the health.live SSE
// subscription. Keeps the last hour of points for the sparklines.
import type { HealthSnapshot, HistoryPoint } from '$lib/health';
import { trpc } from '$lib/trpc/client';
import { historyPoint } from '$lib/history-point';

import { LiveView } from './live-link.svelte';

export type { LiveConnection } from './live-link.svelte';

const HOUR_MS = 3_600_000;

/** A snapshot as a chart point, or null when it carries no fresh sample. */
export function snapshotToPoint(s: HealthSnapshot): HistoryPoint | null {
	if (!s.ts || s.stale) return null;
	const ts = Date.parse(s.ts);
	if (Number.isNaN(ts)) return null;
	return historyPoint(ts, {
		cpu: s.steal,
		load: s.load,
		memory: s.memory,
		disks: s.disks.map((d) => ({ mount: d.mount, figures: d }))
	});
}

export class HealthLive extends LiveView {
	snapshot: HealthSnapshot;
	points: HistoryPoint[];
	/** Right edge of the chart window (epoch ms), moved on each push. */
	nowMs = $state(Date.now());
	readonly windowMs: number;

	constructor({
		snapshot,
		points,
		windowMs = HOUR_MS
	}: {
		snapshot: HealthSnapshot;
		points: HistoryPoint[];
		windowMs?: number;
	}) {
		super();
		this.snapshot = $state(snapshot);
		this.windowMs = windowMs;
		this.points = $state([...points].sort((a, b) => a.ts - b.ts));
		const p = snapshotToPoint(snapshot);
		if (p) this.#append(p);
	}

	get fromMs() {
		return this.nowMs - this.windowMs;
	}

	/** health.live; `start()` (from $effect / onMount) subscribes and returns the stop function. */
	protected open() {
		return trpc().health.live.subscribe(
			undefined,
			this.link.handlers((snap: HealthSnapshot) => {
				this.snapshot = snap;
				const p = snapshotToPoint(snap);
				if (p) this.#append(p);
				this.nowMs = Math.max(Date.now(), p?.ts ?? 0);
			})
		);
	}

	#append(p: HistoryPoint) {
		const last = this.points.at(-1);
		if (last && p.ts <= last.ts) return;
		const cutoff = p.ts - this.windowMs;
		const kept =
			this.points[0] && this.points[0].ts < cutoff
				? this.points.filter((x) => x.ts >= cutoff)
				: this.points;
		this.points = [...kept, p];
	}
}
