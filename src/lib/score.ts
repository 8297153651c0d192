// Shapes of the VM score (roadmap Phase 3.1), shared by the server, the overview page and the
// CLI. No IO here: client code imports it.

export const DIMENSION_IDS = ['cpu', 'memory', 'disk', 'services', 'maintenance', 'llm'] as const;
export type DimensionId = (typeof DIMENSION_IDS)[number];

/** Where each dimension drills in: the detail page with the relevant filter in the URL. */
export const DRILL_DOWN: Record<DimensionId, string> = {
	cpu: '/trends?metric=steal',
	memory: '/vm?focus=memory',
	disk: '/trends?metric=disk',
	services: '/containers?filter=unhealthy',
	maintenance: '/maintenance?focus=cleanup',
	llm: '/models?focus=memory'
};

export const DIMENSION_TITLES: Record<DimensionId, string> = {
	cpu: 'CPU efficiency',
	memory: 'Memory pressure',
	disk: 'Disk health',
	services: 'Service health',
	maintenance: 'Maintenance hygiene',
	llm: 'LLM readiness'
};

export interface DimensionScore {
	id: DimensionId;
	title: string;
	/** the roadmap's weight: 20, 20, 15, 20, 15, 10 */
	max: number;
	/** 'unknown': the source is unavailable; left out of the total (never 0, never full marks) */
	state: 'known' | 'unknown';
	/** null when unknown */
	points: number | null;
	/** the raw input: steal %, bytes available, used %, unhealthy count, days since cleanup, free bytes */
	input: number | null;
	/** the input for people, e.g. "steal 8.2 %" ("—" when unknown) */
	inputText: string;
	/** which rule matched, e.g. "5 % ≤ steal < 10 % → 10"; for unknown, why */
	rule: string;
	/** "steal 8.2 % → 10/20", or "unknown: Docker unreachable" */
	summary: string;
	/** the detail page, filter applied */
	href: string;
	/** memory, when it lost points: what grew while the pressure rose ("Swap +1.2 GiB since 03:00: phi3:mini loaded at 03:02 (2.6 GB), …") */
	cause?: string;
}

export interface VmScore {
	hostId: string;
	/** epoch ms the inputs were read */
	at: number;
	/** 0–100, scaled over the known dimensions; null when none is known */
	total: number | null;
	/** sum of the known dimensions' points, unscaled */
	points: number;
	/** sum of the known dimensions' max */
	knownMax: number;
	/** true when some dimension is unknown and the total was scaled */
	scaled: boolean;
	unknown: DimensionId[];
	/** "Scaled over 4 of 6 dimensions: disk health and LLM readiness are unknown" or null */
	note: string | null;
	dimensions: DimensionScore[];
}

export interface TopAction {
	/** stable id: 'restart-unhealthy', 'disk-projection:/', 'unload:llama3.2-vision:latest', 'cleanup' */
	id: string;
	dimension: DimensionId;
	text: string;
	/** score points it is worth: recovered now, or lost when a projection comes true */
	value: number;
	href: string;
}

export interface ScoreHistoryPoint {
	/** epoch ms */
	ts: number;
	total: number | null;
	dimensions: Partial<Record<DimensionId, number | null>>;
}

/** What score.current and GET /api/vm/score return. */
export interface ScoreReport extends VmScore {
	actions: TopAction[];
}
