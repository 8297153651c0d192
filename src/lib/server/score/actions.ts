// "Top actions" (pure): what the operator can do, most valuable first. The value of an action is
// the score points it is worth: recovered now (restart the unhealthy, unload a model, clean up),
// or lost when a disk projection comes true within the horizon (docs/decisions/0008).
import type { TopAction, VmScore, DimensionScore } from '$lib/score';
import { DRILL_DOWN } from '$lib/score';
import type { Projection } from '$lib/trends';
import { displayName, formatGB } from '$lib/ollama';
import {
	DEFAULT_BOUNDARIES,
	scoreDisk,
	scoreLlm,
	scoreMemory,
	type ScoreBoundaries
} from './score';

/** Projections further out than this are not actions yet. */
export const PROJECTION_HORIZON_DAYS = 30;

export interface ActionFacts {
	score: VmScore;
	boundaries?: ScoreBoundaries;
	/** the fullest mount's projection (prometheus/projection.ts), when the trend source answered */
	disk?: { mount: string; projection: Projection } | null;
	/** loaded models and their part in RAM (size − size_vram), from the Ollama panel */
	loadedModels?: { name: string; ramBytes: number }[];
}

const dim = (s: VmScore, id: DimensionScore['id']) => s.dimensions.find((d) => d.id === id)!;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The actions, most valuable first; ties keep the order services, disk, memory/LLM, maintenance. */
export function topActions({
	score,
	boundaries = DEFAULT_BOUNDARIES,
	disk = null,
	loadedModels = []
}: ActionFacts): TopAction[] {
	const out: TopAction[] = [];

	const services = dim(score, 'services');
	if (services.state === 'known' && services.input! > 0) {
		out.push({
			id: 'restart-unhealthy',
			dimension: 'services',
			text: `Restart ${plural(services.input!, 'unhealthy container')}`,
			value: services.max - services.points!,
			href: DRILL_DOWN.services
		});
	}

	const diskDim = dim(score, 'disk');
	if (disk && diskDim.state === 'known' && disk.projection.status === 'growing') {
		const used = diskDim.input!;
		const now = scoreDisk(used, disk.mount, boundaries.diskUsedPct).points;
		// the next score boundary above today's use, if the line reaches it within the horizon
		const next = boundaries.diskUsedPct.find((b) => b > used);
		const target =
			next === undefined ? undefined : disk.projection.targets.find((t) => t.pct === next);
		if (next !== undefined && target?.days != null && target.days <= PROJECTION_HORIZON_DAYS) {
			const lost = now - scoreDisk(next, disk.mount, boundaries.diskUsedPct).points;
			const days = Math.round(target.days);
			const when = days < 1 ? 'within a day' : `in ${plural(days, 'day')}`;
			out.push({
				id: `disk-projection:${disk.mount}`,
				dimension: 'disk',
				text: `Disk${disk.mount === '/' ? '' : ` ${disk.mount}`} reaches ${next} % ${when}`,
				value: lost,
				href: DRILL_DOWN.disk
			});
		}
	}

	const memory = dim(score, 'memory');
	const llm = dim(score, 'llm');
	const unloads: TopAction[] = [];
	for (const m of loadedModels) {
		if (!(m.ramBytes > 0)) continue;
		let gain = 0;
		if (memory.state === 'known')
			gain +=
				scoreMemory(memory.input! + m.ramBytes, boundaries.memAvailableBytes).points -
				memory.points!;
		if (llm.state === 'known')
			gain += scoreLlm(llm.input! + m.ramBytes, boundaries.llmFreeBytes).points - llm.points!;
		if (gain > 0)
			unloads.push({
				id: `unload:${m.name}`,
				dimension: 'llm',
				text: `Unload ${displayName(m.name)} to free ${formatGB(m.ramBytes)}`,
				value: gain,
				href: DRILL_DOWN.llm
			});
	}
	out.push(...unloads.sort((a, b) => b.value - a.value));

	const maint = dim(score, 'maintenance');
	if (maint.state === 'known' && maint.points! < maint.max) {
		const days = maint.input;
		const text =
			days === null
				? 'No cleanup recorded: run one'
				: days < boundaries.cleanupDays[0]
					? `Last cleanup ${days < 1 ? 'today' : `${plural(Math.floor(days), 'day')} ago`} freed nothing`
					: `Last cleanup ${plural(Math.floor(days), 'day')} ago`;
		out.push({
			id: 'cleanup',
			dimension: 'maintenance',
			text,
			value: maint.max - maint.points!,
			href: DRILL_DOWN.maintenance
		});
	}

	// stable sort: equal values keep the order above
	return out
		.map((a, i) => ({ a, i }))
		.sort((x, y) => y.a.value - x.a.value || x.i - y.i)
		.map(({ a }) => a);
}
