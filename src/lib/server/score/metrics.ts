// /metrics: vmwarden_score and vmwarden_score_dimension{dimension}. An unknown dimension (or a
// score not computed yet) is absent, not 0.
import { Gauge, type Registry } from 'prom-client';
import type { ScoreReport } from '$lib/score';

/** `read` may recompute (the score service's current(): at most once per refresh interval, on scrape). */
export function registerScoreMetrics(
	registry: Registry,
	read: () => ScoreReport | null | Promise<ScoreReport | null>
) {
	new Gauge({
		name: 'vmwarden_score',
		help: 'VM score 0-100, scaled over the known dimensions',
		registers: [registry],
		async collect() {
			this.reset();
			const s = await read();
			if (s && s.total !== null) this.set(s.total);
		}
	});
	new Gauge({
		name: 'vmwarden_score_dimension',
		help: 'Points of each score dimension (cpu 20, memory 20, disk 15, services 20, maintenance 15, llm 10); absent when unknown',
		labelNames: ['dimension'],
		registers: [registry],
		async collect() {
			this.reset();
			for (const d of (await read())?.dimensions ?? [])
				if (d.points !== null) this.set({ dimension: d.id }, d.points);
		}
	});
}
