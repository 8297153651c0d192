// Pure: turns one HostSample into the HealthSnapshot the overview card shows.
import type { Checked, HealthSnapshot, HostSample, Status, Thresholds } from '$lib/health';
import { formatBytes, formatBytesPair, formatPct } from '$lib/format';
import { DEFAULT_THRESHOLDS } from './thresholds';

export { DEFAULT_THRESHOLDS };

/** The steal card's reason until the sampler has two readings to subtract. */
export const STEAL_MEASURING = 'measuring: needs a second sample';

/** When each metric last read successfully (epoch ms), as the sampler tracks it. */
export interface LastGood {
	cpu: number | null;
	load: number | null;
	memory: number | null;
	disks: Record<string, number | null>;
}

/** Worst first. UNKNOWN ranks under WARN: a metric we cannot read is not evidence of trouble. */
const SEVERITY: Record<Status, number> = { CRIT: 3, WARN: 2, UNKNOWN: 1, OK: 0 };

export function worstStatus(statuses: Status[]): Status {
	let worst: Status = 'OK';
	for (const s of statuses) if (SEVERITY[s] > SEVERITY[worst]) worst = s;
	return worst;
}

interface Reason {
	severity: number;
	text: string;
}

/** Early warnings (SwapCached) sort after every status reason. */
const EARLY_WARNING = -1;

const pctPair = (a: number, b: number): [string, string] => {
	let pair = [formatPct(a), formatPct(b)] as [string, string];
	if (a !== b && pair[0] === pair[1])
		pair = [formatPct(a, { digits: 2 }), formatPct(b, { digits: 2 })];
	return pair;
};

function iso(ms: number | null | undefined): string | null {
	return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

export interface ClassifyInput {
	/** Null before the sampler's first sample. */
	sample: HostSample | null;
	thresholds?: Thresholds;
	hostId: string;
	/** Adds "last good data at …" to the reasons of errored metrics. */
	lastGood?: LastGood;
	/** With staleAfterMs: a sample older than this is reported as stale. Epoch ms. */
	nowMs?: number;
	staleAfterMs?: number;
}

export function classify({
	sample,
	thresholds = DEFAULT_THRESHOLDS,
	hostId,
	lastGood,
	nowMs,
	staleAfterMs
}: ClassifyInput): HealthSnapshot {
	if (!sample) {
		const error = 'no sample yet';
		const unknown = { status: 'UNKNOWN' as const, reason: error, ok: false as const, error };
		return {
			hostId,
			ts: null,
			status: 'UNKNOWN',
			steal: unknown,
			load: unknown,
			memory: unknown,
			swap: unknown,
			disks: [],
			reasons: ['No host sample yet: the sampler has not completed its first reading'],
			stale: { since: null, error }
		};
	}

	const t = thresholds;
	const reasons: Reason[] = [];
	const statuses: Status[] = [];

	/** Shared handling of an errored metric: UNKNOWN, reason = the error. */
	function unknown<T extends object>(
		label: string,
		m: { ok: false; error: string },
		goodAt: number | null | undefined
	): Checked<T> {
		const since = lastGood
			? iso(goodAt)
				? `last good data ${iso(goodAt)}`
				: 'no good data yet'
			: null;
		reasons.push({
			severity: SEVERITY.UNKNOWN,
			text: `${label} unknown: ${m.error}${since ? ` (${since})` : ''}`
		});
		statuses.push('UNKNOWN');
		return { status: 'UNKNOWN', reason: m.error, ...m };
	}

	function checked<T extends object>(
		m: { ok: true } & T,
		status: Status,
		reason?: string
	): Checked<T> {
		statuses.push(status);
		if (reason) reasons.push({ severity: SEVERITY[status], text: reason });
		return reason ? { status, reason, ...m } : { status, ...m };
	}

	// CPU steal
	let steal: HealthSnapshot['steal'];
	if (!sample.cpu.ok) steal = unknown('CPU steal', sample.cpu, lastGood?.cpu);
	else if (sample.cpu.stealPct === null) {
		// First sample: steal is a difference of two readings, and the sampler does not sleep for one.
		steal = checked(sample.cpu, 'UNKNOWN');
		steal.reason = STEAL_MEASURING;
		reasons.push({ severity: SEVERITY.UNKNOWN, text: `CPU steal ${STEAL_MEASURING}` });
	} else {
		const pct = sample.cpu.stealPct;
		const limit =
			pct > t.stealCritPct ? t.stealCritPct : pct > t.stealWarnPct ? t.stealWarnPct : null;
		if (limit === null) steal = checked(sample.cpu, 'OK');
		else {
			const [a, b] = pctPair(pct, limit);
			steal = checked(
				sample.cpu,
				limit === t.stealCritPct ? 'CRIT' : 'WARN',
				`CPU steal ${a} > ${b}: the hypervisor is giving this VM's CPU time to other guests`
			);
		}
	}

	// Load per CPU
	let load: HealthSnapshot['load'];
	if (!sample.load.ok) load = unknown('Load', sample.load, lastGood?.load);
	else {
		const { load1, cpuCount } = sample.load;
		const perCpu = load1 / Math.max(1, cpuCount);
		const limit =
			perCpu > t.loadPerCpuCrit
				? t.loadPerCpuCrit
				: perCpu > t.loadPerCpuWarn
					? t.loadPerCpuWarn
					: null;
		load =
			limit === null
				? checked(sample.load, 'OK')
				: checked(
						sample.load,
						limit === t.loadPerCpuCrit ? 'CRIT' : 'WARN',
						`Load ${load1.toFixed(2)} on ${cpuCount} CPU${cpuCount === 1 ? '' : 's'} is ${perCpu.toFixed(2)} per CPU > ${limit}`
					);
	}

	// Memory available, swap used, SwapCached — all from /proc/meminfo
	let memory: HealthSnapshot['memory'];
	let swap: HealthSnapshot['swap'];
	if (!sample.memory.ok) {
		memory = unknown('Memory', sample.memory, lastGood?.memory);
		// same file, same error: one reason is enough
		swap = { status: 'UNKNOWN', reason: sample.memory.error, ...sample.memory };
	} else {
		const m = sample.memory;
		const avail = m.memAvailableBytes;
		const memLimit =
			avail < t.memAvailableCritBytes
				? t.memAvailableCritBytes
				: avail < t.memAvailableWarnBytes
					? t.memAvailableWarnBytes
					: null;
		if (memLimit === null) memory = checked(m, 'OK');
		else {
			const [a, b] = formatBytesPair(avail, memLimit);
			memory = checked(
				m,
				memLimit === t.memAvailableCritBytes ? 'CRIT' : 'WARN',
				`MemAvailable ${a} < ${b}`
			);
		}

		const used = m.swapUsedBytes;
		const swapLimit =
			used > t.swapUsedCritBytes
				? t.swapUsedCritBytes
				: used > t.swapUsedWarnBytes
					? t.swapUsedWarnBytes
					: null;
		if (swapLimit === null) swap = checked(m, 'OK');
		else {
			const [a, b] = formatBytesPair(used, swapLimit);
			swap = checked(
				m,
				swapLimit === t.swapUsedCritBytes ? 'CRIT' : 'WARN',
				`Swap used ${a} > ${b}`
			);
		}
		if (m.swapCachedBytes > t.swapCachedWarnBytes) {
			// An early warning: pages came back from swap recently. It does not raise the status.
			const [a, b] = formatBytesPair(m.swapCachedBytes, t.swapCachedWarnBytes);
			const text = `SwapCached ${a} > ${b}: the box was recently under memory pressure`;
			reasons.push({ severity: EARLY_WARNING, text });
			// The card shows the flag as its own early-warning note, so swap.reason stays the status reason.
			swap = { ...swap, swapCachedWarning: true };
		}
	}

	// Disks
	const disks: HealthSnapshot['disks'] = sample.disks.map(({ mount, figures }) => {
		if (!figures.ok) return { mount, ...unknown(`Disk ${mount}`, figures, lastGood?.disks[mount]) };
		const pct = figures.usedPct;
		const limit =
			pct >= t.diskCritPct ? t.diskCritPct : pct >= t.diskWarnPct ? t.diskWarnPct : null;
		if (limit === null) return { mount, ...checked(figures, 'OK') };
		const [a, b] = pctPair(pct, limit);
		return {
			mount,
			...checked(
				figures,
				limit === t.diskCritPct ? 'CRIT' : 'WARN',
				`Disk ${mount} ${a} used ≥ ${b} (${formatBytes(figures.availBytes)} free)`
			)
		};
	});

	let stale: HealthSnapshot['stale'];
	if (nowMs !== undefined && staleAfterMs !== undefined && nowMs - sample.ts > staleAfterMs) {
		const ageS = Math.round((nowMs - sample.ts) / 1000);
		stale = { since: iso(sample.ts), error: `no new sample for ${ageS} s` };
		// Old figures cannot vouch for the box now: at least UNKNOWN.
		statuses.push('UNKNOWN');
		reasons.push({
			severity: SEVERITY.UNKNOWN,
			text: `No new sample for ${ageS} s: figures are from ${stale.since}`
		});
	}

	// Stable sort: equal severities keep the card's order (steal, load, memory, swap, disks).
	reasons.sort((x, y) => y.severity - x.severity);
	return {
		hostId,
		ts: iso(sample.ts),
		status: worstStatus(statuses),
		steal,
		load,
		memory,
		swap,
		disks,
		reasons: [...new Set(reasons.map((r) => r.text))],
		...(stale ? { stale } : {})
	};
}
