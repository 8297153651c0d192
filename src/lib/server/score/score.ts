// The VM score (roadmap Phase 3.1), pure: six dimensions from plain inputs, each with its points,
// input, matched rule and drill-down link. A dimension whose source is unavailable is `unknown`:
// it is left out and the total is scaled over the known ones (never a silent 0 or full marks).
//
// Units: memory boundaries are binary (GiB, docs/decisions/0002) like every memory threshold in
// the app; so "available > 6 GB" is > 6 GiB. Days are 24 h.
import {
	DIMENSION_IDS,
	DIMENSION_TITLES,
	DRILL_DOWN,
	type DimensionId,
	type DimensionScore,
	type VmScore
} from '$lib/score';

const GiB = 1024 ** 3;
export const DAY_MS = 86_400_000;

export const MAX_POINTS: Record<DimensionId, number> = {
	cpu: 20,
	memory: 20,
	disk: 15,
	services: 20,
	maintenance: 15,
	llm: 10
};

/** Each dimension's boundaries (VMW_SCORE_* in config.ts); the points per tier are the roadmap's. */
export interface ScoreBoundaries {
	/** steal < [0] = 20, < [1] = 15, < [2] = 10, else 5 */
	stealPct: [number, number, number];
	/** available > [0] = 20, > [1] = 15, > [2] = 5, else 0 (bytes) */
	memAvailableBytes: [number, number, number];
	/** used < [0] = 15, < [1] = 10, < [2] = 5, else 0 */
	diskUsedPct: [number, number, number];
	/** unhealthy ≤ [0] = 20, ≤ [1] = 15, ≤ [2] = 8, else 2 */
	unhealthy: [number, number, number];
	/** last cleanup < [0] days and freed > 0 = 15, < [1] days = 8, else 0 */
	cleanupDays: [number, number];
	/** free > [0] = 10, > [1] = 7, > [2] = 4, else 1 (bytes) */
	llmFreeBytes: [number, number, number];
}

export const DEFAULT_BOUNDARIES: ScoreBoundaries = {
	stealPct: [2, 5, 10],
	memAvailableBytes: [6 * GiB, 3 * GiB, 1 * GiB],
	diskUsedPct: [40, 55, 70],
	unhealthy: [0, 2, 5],
	cleanupDays: [7, 30],
	llmFreeBytes: [8 * GiB, 4 * GiB, 2 * GiB]
};

/** A source either answered or says why not. */
export type Known<T> = ({ ok: true } & T) | { ok: false; reason: string };

export interface ScoreInputs {
	hostId: string;
	/** epoch ms the inputs were read; also "now" for the cleanup age */
	at: number;
	/** the 15-minute average, not the last interval (no flicker) */
	steal: Known<{ stealPct: number }>;
	/** cause: what grew while memory pressure rose (memory/attribution.ts causeLine), when anything did */
	memory: Known<{ availableBytes: number; cause?: string | null }>;
	/** the fullest watched mount */
	disk: Known<{ usedPct: number; mount: string }>;
	services: Known<{ unhealthy: number }>;
	/** lastCleanupAt null: the history is readable and holds no real cleanup */
	maintenance: Known<{ lastCleanupAt: number | null; freedBytes: number | null }>;
	/** RAM free for a model to load (MemAvailable), when Ollama answers */
	llm: Known<{ freeBytes: number }>;
}

const fmtPct = (v: number) => `${v.toFixed(1)} %`;
const fmtGiB = (b: number) => `${(b / GiB).toFixed(1)} GiB`;
const fmtBoundGiB = (b: number) => `${+(b / GiB).toFixed(2)} GiB`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

interface Matched {
	points: number;
	/** null only for "no cleanup recorded" */
	input: number | null;
	inputText: string;
	rule: string;
}

/** Lower is better: value < b[i] scores points[i]; else the last. */
function below(
	value: number,
	b: number[],
	points: number[],
	name: string,
	fmt: (v: number) => string
): Omit<Matched, 'input' | 'inputText'> {
	for (let i = 0; i < b.length; i++) {
		if (value < b[i])
			return {
				points: points[i],
				rule:
					i === 0
						? `${name} < ${fmt(b[0])} → ${points[i]}`
						: `${fmt(b[i - 1])} ≤ ${name} < ${fmt(b[i])} → ${points[i]}`
			};
	}
	return {
		points: points[b.length],
		rule: `${name} ≥ ${fmt(b[b.length - 1])} → ${points[b.length]}`
	};
}

/** Higher is better: value > b[i] scores points[i]; else the last. */
function above(
	value: number,
	b: number[],
	points: number[],
	name: string,
	fmt: (v: number) => string
): Omit<Matched, 'input' | 'inputText'> {
	for (let i = 0; i < b.length; i++) {
		if (value > b[i])
			return {
				points: points[i],
				rule:
					i === 0
						? `${name} > ${fmt(b[0])} → ${points[i]}`
						: `${fmt(b[i])} < ${name} ≤ ${fmt(b[i - 1])} → ${points[i]}`
			};
	}
	return {
		points: points[b.length],
		rule: `${name} ≤ ${fmt(b[b.length - 1])} → ${points[b.length]}`
	};
}

export function scoreSteal(stealPct: number, b = DEFAULT_BOUNDARIES.stealPct): Matched {
	return {
		input: stealPct,
		inputText: `steal ${fmtPct(stealPct)}`,
		...below(stealPct, b, [20, 15, 10, 5], 'steal', (v) => `${v} %`)
	};
}

export function scoreMemory(
	availableBytes: number,
	b = DEFAULT_BOUNDARIES.memAvailableBytes
): Matched {
	return {
		input: availableBytes,
		inputText: `available ${fmtGiB(availableBytes)}`,
		...above(availableBytes, b, [20, 15, 5, 0], 'available', fmtBoundGiB)
	};
}

export function scoreDisk(
	usedPct: number,
	mount: string,
	b = DEFAULT_BOUNDARIES.diskUsedPct
): Matched {
	return {
		input: usedPct,
		inputText: `${mount} ${fmtPct(usedPct)} used`,
		...below(usedPct, b, [15, 10, 5, 0], 'used', (v) => `${v} %`)
	};
}

export function scoreServices(unhealthy: number, b = DEFAULT_BOUNDARIES.unhealthy): Matched {
	const points = [20, 15, 8, 2];
	const inputText = `${plural(unhealthy, 'unhealthy container')}`;
	for (let i = 0; i < b.length; i++) {
		if (unhealthy <= b[i]) {
			const low = i === 0 ? 0 : b[i - 1] + 1;
			const range = low === b[i] ? `${b[i]}` : `${low}–${b[i]}`;
			return {
				points: points[i],
				input: unhealthy,
				inputText,
				rule: `${range} unhealthy → ${points[i]}`
			};
		}
	}
	return {
		points: points[3],
		input: unhealthy,
		inputText,
		rule: `${b[2] + 1}+ unhealthy → ${points[3]}`
	};
}

export function scoreMaintenance(
	lastCleanupAt: number | null,
	freedBytes: number | null,
	at: number,
	b = DEFAULT_BOUNDARIES.cleanupDays
): Matched {
	if (lastCleanupAt === null)
		return {
			points: 0,
			input: null,
			inputText: 'no cleanup recorded',
			rule: `no cleanup in the history → 0`
		};
	const days = Math.max(0, (at - lastCleanupAt) / DAY_MS);
	const freed = freedBytes !== null && freedBytes > 0;
	const inputText = `last cleanup ${days < 1 ? `${Math.round(days * 24)} h` : `${Math.floor(days)} ${Math.floor(days) === 1 ? 'day' : 'days'}`} ago${freed ? '' : ', freed nothing'}`;
	if (days < b[0] && freed)
		return { points: 15, input: days, inputText, rule: `< ${b[0]} days and freed > 0 → 15` };
	if (days < b[1])
		return {
			points: 8,
			input: days,
			inputText,
			rule: days < b[0] ? `< ${b[0]} days but freed nothing → 8` : `${b[0]}–${b[1]} days → 8`
		};
	return { points: 0, input: days, inputText, rule: `≥ ${b[1]} days → 0` };
}

export function scoreLlm(freeBytes: number, b = DEFAULT_BOUNDARIES.llmFreeBytes): Matched {
	return {
		input: freeBytes,
		inputText: `${fmtGiB(freeBytes)} free for a model`,
		...above(freeBytes, b, [10, 7, 4, 1], 'free', fmtBoundGiB)
	};
}

function dimension(id: DimensionId, m: Matched | { reason: string }): DimensionScore {
	const max = MAX_POINTS[id];
	const base = { id, title: DIMENSION_TITLES[id], max, href: DRILL_DOWN[id] };
	if ('reason' in m)
		return {
			...base,
			state: 'unknown',
			points: null,
			input: null,
			inputText: '—',
			rule: `unknown: ${m.reason}`,
			summary: `unknown: ${m.reason}`
		};
	return {
		...base,
		state: 'known',
		points: m.points,
		input: m.input,
		inputText: m.inputText,
		rule: m.rule,
		summary: `${m.inputText} → ${m.points}/${max}`
	};
}

/** The cause is a reason for lost points: a dimension at full marks does not carry it. */
function withCause(d: DimensionScore, cause: string | null | undefined): DimensionScore {
	return cause && d.state === 'known' && d.points! < d.max ? { ...d, cause } : d;
}

function listNames(names: string[]): string {
	return names.length <= 1
		? names.join('')
		: `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** The score from its inputs. Pure: the same inputs always give the same score. */
export function computeScore(
	inputs: ScoreInputs,
	b: ScoreBoundaries = DEFAULT_BOUNDARIES
): VmScore {
	const { steal, memory, disk, services, maintenance, llm } = inputs;
	const dims: Record<DimensionId, DimensionScore> = {
		cpu: dimension('cpu', steal.ok ? scoreSteal(steal.stealPct, b.stealPct) : steal),
		memory: withCause(
			dimension(
				'memory',
				memory.ok ? scoreMemory(memory.availableBytes, b.memAvailableBytes) : memory
			),
			memory.ok ? memory.cause : null
		),
		disk: dimension('disk', disk.ok ? scoreDisk(disk.usedPct, disk.mount, b.diskUsedPct) : disk),
		services: dimension(
			'services',
			services.ok ? scoreServices(services.unhealthy, b.unhealthy) : services
		),
		maintenance: dimension(
			'maintenance',
			maintenance.ok
				? scoreMaintenance(
						maintenance.lastCleanupAt,
						maintenance.freedBytes,
						inputs.at,
						b.cleanupDays
					)
				: maintenance
		),
		llm: dimension('llm', llm.ok ? scoreLlm(llm.freeBytes, b.llmFreeBytes) : llm)
	};
	const dimensions = DIMENSION_IDS.map((id) => dims[id]);
	const known = dimensions.filter((d) => d.state === 'known');
	const unknown = dimensions.filter((d) => d.state === 'unknown').map((d) => d.id);
	const points = known.reduce((s, d) => s + d.points!, 0);
	const knownMax = known.reduce((s, d) => s + d.max, 0);
	const total = knownMax === 0 ? null : Math.round((points / knownMax) * 100);
	const note =
		unknown.length === 0
			? null
			: knownMax === 0
				? 'No dimension is known: every source is unavailable'
				: `Scaled over ${known.length} of ${dimensions.length} dimensions (${knownMax} of 100 points): ${listNames(unknown.map((id) => DIMENSION_TITLES[id].replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase())))} ${unknown.length === 1 ? 'is' : 'are'} unknown`;
	return {
		hostId: inputs.hostId,
		at: inputs.at,
		total,
		points,
		knownMax,
		scaled: unknown.length > 0,
		unknown,
		note,
		dimensions
	};
}
