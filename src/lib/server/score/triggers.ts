// What recomputes the score between its own ticks: the services tile follows Docker at once (the
// unhealthy count or Docker's availability changed), and the host tiles fill as soon as the
// sampler has what they lacked (steal needs a second sample).
import type { HostSample } from '$lib/health';
import type { Availability } from '../availability';
import { isUnhealthy } from '../docker/health';
import type { ContainerInfo } from '../docker/model';
import type { ScoreService } from './service';

export interface ScoreTriggerSources {
	docker: { subscribe(fn: (r: Availability<ContainerInfo[]>) => void): () => void };
	sampler: { subscribe(fn: (sample: HostSample) => void): () => void };
}

/** Subscribes on start, unsubscribes on stop: a lifecycle entry beside the score service. */
export function createScoreTriggers(
	score: Pick<ScoreService, 'poke' | 'latest'>,
	{ docker, sampler }: ScoreTriggerSources
) {
	let offs: (() => void)[] = [];
	return {
		start() {
			if (offs.length) return;
			let unhealthyKey = '';
			offs = [
				docker.subscribe((r) => {
					const key = r.state === 'ok' ? String(r.data.filter(isUnhealthy).length) : 'unavailable';
					if (key !== unhealthyKey) score.poke();
					unhealthyKey = key;
				}),
				sampler.subscribe((sample) => {
					const unknown = score.latest()?.unknown ?? [];
					const now =
						(unknown.includes('cpu') && sample.cpu.ok && sample.cpu.stealPct !== null) ||
						(unknown.includes('memory') && sample.memory.ok) ||
						(unknown.includes('disk') && sample.disks.some((d) => d.figures.ok));
					if (now) score.poke();
				})
			];
		},
		stop() {
			for (const off of offs) off();
			offs = [];
		}
	};
}
