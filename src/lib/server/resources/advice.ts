// Memory-limit advice (pure): ROADMAP Phase 2.3 — limits validated against real RSS.
//   limit       = max(category default, peak × headroom rounded UP to 64 MiB)
//   reservation = max(category reservation, median rounded UP to 16 MiB), never above the limit
// (the roadmap's reservations are 32m/64m/128m…, so a 64 MiB step would lift every cache's 32m)
// Until 24 h of history exist the advice is "collect 24 h first" (the roadmap's rollout step 1).
// An llm container never gets a limit. Nothing here applies anything: the operator deploys.
import { median } from '../trends/spikes';
import {
	CATEGORY_DEFAULTS,
	LLM_NO_LIMIT_REASON,
	type Categorised,
	type Category
} from './categories';

export const MiB = 1024 * 1024;
export const LIMIT_STEP_BYTES = 64 * MiB;
export const RESERVATION_STEP_BYTES = 16 * MiB;
export const MIN_HISTORY_MS = 24 * 3_600_000;
export const OOM_WINDOW_MS = 7 * 24 * 3_600_000;
export const NEAR_LIMIT_RATIO = 0.9;
const MINUTE_MS = 60_000;

export const roundUpTo = (bytes: number, step: number) => Math.ceil(bytes / step) * step;

export interface MemoryPoint {
	/** start of the minute, epoch ms */
	ts: number;
	/** mean of the minute */
	memUsedBytes: number | null;
	/** highest reading of the minute (null in rows written before it was stored) */
	memPeakBytes?: number | null;
}

export interface MemorySummary {
	/** highest minute (its peak reading where stored, else its mean); null without data */
	peakBytes: number | null;
	/** median of the 1-minute means */
	medianBytes: number | null;
	/** span the history covers, first minute to last inclusive */
	historyMs: number;
}

export function summariseMemory(points: MemoryPoint[]): MemorySummary {
	const pts = points.filter((p) => p.memUsedBytes !== null);
	if (!pts.length) return { peakBytes: null, medianBytes: null, historyMs: 0 };
	const ts = pts.map((p) => p.ts);
	return {
		peakBytes: Math.max(...pts.map((p) => p.memPeakBytes ?? (p.memUsedBytes as number))),
		medianBytes: median(pts.map((p) => p.memUsedBytes as number)),
		historyMs: Math.max(...ts) - Math.min(...ts) + MINUTE_MS
	};
}

export interface OomKill {
	/** epoch ms; for a cgroup memory.events count, the time it was read */
	at: number;
	source: 'docker-event' | 'memory.events' | 'inspect';
}

export interface AdviceInput {
	name: string;
	/** history key (compose project/service, else the name) */
	key: string;
	stack: string | null;
	service: string | null;
	categorised: Categorised;
	/** the limit Docker has now; null = none */
	memLimitBytes: number | null;
	/** latest reading, null when not running */
	memUsedBytes: number | null;
	/** the 7-day history, summarised (summariseMemory, or the SQL aggregate in report.ts) */
	memory: MemorySummary;
	oomKills: OomKill[];
}

export type AdviceFlag = 'no-limit' | 'near-limit' | 'oom-killed' | 'limit-on-llm';
export type AdviceStatus = 'advice' | 'collect-first' | 'never-limit';

export interface AdviceRow {
	name: string;
	key: string;
	stack: string | null;
	service: string | null;
	category: Category;
	categorySource: Categorised['source'];
	currentLimitBytes: number | null;
	usedBytes: number | null;
	/** highest minute in the history (or the latest reading when higher), null without data */
	peakBytes: number | null;
	medianBytes: number | null;
	/** span the history covers (its minutes from first to last, inclusive) */
	historyMs: number;
	status: AdviceStatus;
	limitBytes: number | null;
	reservationBytes: number | null;
	reason: string;
	flags: AdviceFlag[];
	/** OOM kills in the last 7 days */
	oomKills7d: number;
}

export interface AdviceOptions {
	now: number;
	/** factor over the 7-day peak, e.g. 1.5 */
	headroom: number;
	minHistoryMs?: number;
}

const fmtMiB = (b: number) => `${Math.round(b / MiB)} MiB`;

export function adviseOne(
	input: AdviceInput,
	{ now, headroom, minHistoryMs = MIN_HISTORY_MS }: AdviceOptions
): AdviceRow {
	const { category, source } = input.categorised;
	const defaults = CATEGORY_DEFAULTS[category];
	const { medianBytes, historyMs } = input.memory;
	const peaks = [input.memory.peakBytes, input.memUsedBytes].filter((b): b is number => b !== null);
	const peakBytes = peaks.length ? Math.max(...peaks) : null;
	const oomKills7d = input.oomKills.filter((k) => k.at >= now - OOM_WINDOW_MS).length;

	const flags: AdviceFlag[] = [];
	const limit = input.memLimitBytes;
	if (category === 'llm') {
		if (limit !== null) flags.push('limit-on-llm');
	} else if (limit === null) flags.push('no-limit');
	if (limit !== null && peakBytes !== null && peakBytes > NEAR_LIMIT_RATIO * limit)
		flags.push('near-limit');
	if (oomKills7d > 0) flags.push('oom-killed');

	const base = {
		name: input.name,
		key: input.key,
		stack: input.stack,
		service: input.service,
		category,
		categorySource: source,
		currentLimitBytes: limit,
		usedBytes: input.memUsedBytes,
		peakBytes,
		medianBytes,
		historyMs,
		flags,
		oomKills7d
	};
	if (category === 'llm')
		return {
			...base,
			status: 'never-limit',
			limitBytes: null,
			reservationBytes: null,
			reason: LLM_NO_LIMIT_REASON
		};
	if (historyMs < minHistoryMs || peakBytes === null || medianBytes === null) {
		const hours = (historyMs / 3_600_000).toFixed(1);
		return {
			...base,
			status: 'collect-first',
			limitBytes: null,
			reservationBytes: null,
			reason: `Collect 24 h first: ${hours} h of history so far (category default would be ${fmtMiB(defaults.limitBytes!)}).`
		};
	}
	const fromPeak = roundUpTo(peakBytes * headroom, LIMIT_STEP_BYTES);
	const limitBytes = Math.max(defaults.limitBytes!, fromPeak);
	const reservationBytes = Math.min(
		limitBytes,
		Math.max(defaults.reservationBytes!, roundUpTo(medianBytes, RESERVATION_STEP_BYTES))
	);
	const reason =
		fromPeak > defaults.limitBytes!
			? `7-day peak ${fmtMiB(peakBytes)} × ${headroom} headroom = ${fmtMiB(fromPeak)} (above the ${category} default ${fmtMiB(defaults.limitBytes!)})`
			: `${category} default; 7-day peak ${fmtMiB(peakBytes)} × ${headroom} fits within it`;
	return { ...base, status: 'advice', limitBytes, reservationBytes, reason };
}

export function adviseMemory(inputs: AdviceInput[], options: AdviceOptions): AdviceRow[] {
	return inputs
		.map((i) => adviseOne(i, options))
		.sort((a, b) => (a.stack ?? '').localeCompare(b.stack ?? '') || a.name.localeCompare(b.name));
}
