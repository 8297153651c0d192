// Alert rules: pure evaluation of an observation of the host (sampler, Docker, cron, trends,
// Prometheus) against the previous rule state and the time. No IO: the service (service.ts)
// gathers the observation, sends what this returns and stores the state.
//
// Every condition has an episode: it RAISES when its value passes the raise level (for steal,
// sustained for `stealForMs`), fires once, may ESCALATE once from WARN to CRIT, and CLEARS only
// when the value is back past a separate, lower clear level (hysteresis), sending a recovery.
// A value that is unknown (a source down) keeps the episode as it is.
import { esc } from '../notify/html';
import { formatGB } from '../resources/io';
import { causeLine, type MemoryTrace } from '../memory/attribution';

export type Severity = 'WARN' | 'CRIT';

export interface Observation {
	at: number;
	stealPct: number | null;
	swapUsedBytes: number | null;
	swapCachedBytes: number | null;
	/** MemAvailable from /proc/meminfo; absent or null = unknown */
	memAvailableBytes?: number | null;
	disks: { mount: string; usedPct: number }[];
	/** days until each mount reaches `diskFillPct` by the trend projection; null = not growing / unknown */
	diskFillDays: { mount: string; days: number | null }[];
	/** unhealthy container names; null when Docker could not be asked */
	unhealthy: string[] | null;
	dockerUp: boolean | null;
	/** null when no Prometheus is configured */
	prometheusUp: boolean | null;
	/** null when the cron status could not be read */
	cronJobs: { name: string; state: string; reason: string }[] | null;
	/** the newest real cleanup run, null when none is known */
	lastCleanup: { id: string; start: string; status: string } | null;
	/** containers writing more than the spike factor × their daily median today (trends io); null = unknown */
	ioSpikes?: { container: string; bytes: number; ratio: number }[] | null;
	/**
	 * What each container wrote in the last 24 h (resources io report), against the fixed
	 * VMW_IO_WRITE_THRESHOLD_GB: works from the first day, where the median rule needs 3.
	 * `spanMs` is how much of the 24 h it was watched; null = unknown.
	 */
	ioWrites?: {
		thresholdBytesPerDay: number;
		freeDiskBytes: number | null;
		containers: { name: string; bytes: number; spanMs: number }[];
	} | null;
	/** what grew while memory pressure rose (memory/trace.ts); the swap messages name it */
	memoryTrace?: MemoryTrace | null;
}

export interface RuleThresholds {
	stealWarnPct: number;
	stealCritPct: number;
	/** steal must stay above a level this long before it raises (and below the clear level as long to clear) */
	stealForMs: number;
	swapUsedWarnBytes: number;
	swapUsedCritBytes: number;
	swapCachedWarnBytes: number;
	/** MemAvailable below these raises (the /vm memory card's VMW_MEM_AVAILABLE_WARN_GIB / _CRIT_GIB) */
	memAvailableWarnBytes: number;
	memAvailableCritBytes: number;
	diskWarnPct: number;
	diskCritPct: number;
	/** "disk reaches diskFillPct within diskFillDays" */
	diskFillPct: number;
	diskFillDays: number;
	/** a source must be unreachable this long before "unreachable" raises */
	unreachableForMs: number;
	/**
	 * clear level = raise level × (1 − hysteresis), e.g. 0.1: steal WARN at 5 % clears under 4.5 %;
	 * for MemAvailable (low is bad) × (1 + hysteresis): WARN under 2 GiB clears over 2.2 GiB
	 */
	hysteresis: number;
}

export const ALERT_DEFAULTS = {
	stealForMs: 10 * 60_000,
	diskFillPct: 70,
	diskFillDays: 7,
	unreachableForMs: 2 * 60_000,
	hysteresis: 0.1
};

export interface Episode {
	severity: Severity | null;
	/** when the raise condition was first seen (sustain timer) */
	pendingSince: number | null;
	pendingSeverity: Severity | null;
	/** when the clear condition was first seen */
	clearingSince: number | null;
	since: number | null;
	/** containers already named in this episode (unhealthy rule) */
	names?: string[];
}

export type RuleState = Record<string, Episode>;

export interface Notice {
	key: string;
	kind: 'raise' | 'escalate' | 'update' | 'recover';
	severity: Severity | 'OK';
	/** Telegram HTML */
	html: string;
	at: number;
}

/** One condition's reading: its severity now, whether it is past the clear level, or unknown. */
interface Reading {
	key: string;
	/** null = below the raise level */
	raise: Severity | null;
	/** true = past the clear level (an active episode may end) */
	clear: boolean;
	forMs: number;
	title: string;
	detail: string;
	recovery: string;
	names?: string[];
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const pct = (v: number) => `${(Math.round(v * 10) / 10).toFixed(1)} %`;
const gib = (v: number) => `${(v / GiB).toFixed(1)} GiB`;
const mib = (v: number) => `${Math.round(v / MiB)} MiB`;

function level(v: number, warn: number, crit: number): Severity | null {
	return v > crit ? 'CRIT' : v > warn ? 'WARN' : null;
}

/**
 * "invttrdg-backend wrote 22.0 GB in 13 h (1.7 GB/h): at this rate the disk (123 GB free) is
 * full in ~3 days" — the rate over the time it was watched (less than 24 h on its first day).
 */
export function writeRate(
	c: { name: string; bytes: number; spanMs: number },
	freeDiskBytes: number | null
): { sentence: string; daysToFull: number | null } {
	const hours = Math.max(c.spanMs, 60_000) / 3_600_000;
	const perHour = c.bytes / hours;
	const span = hours >= 1 ? `${Math.round(hours)} h` : `${Math.round(hours * 60)} min`;
	const head = `${c.name} wrote ${formatGB(c.bytes)} in ${span} (${formatGB(perHour)}/h)`;
	if (freeDiskBytes === null || !(perHour > 0))
		return { sentence: `${head}; free disk unknown`, daysToFull: null };
	const fullHours = freeDiskBytes / perHour;
	const when =
		fullHours < 24
			? `~${Math.max(1, Math.round(fullHours))} h`
			: `~${Math.round(fullHours / 24)} day${Math.round(fullHours / 24) === 1 ? '' : 's'}`;
	return {
		sentence: `${head}: at this rate the disk (${Math.round(freeDiskBytes / 1e9)} GB free) is full in ${when}`,
		daysToFull: fullHours / 24
	};
}

/** The readings of every condition rule in an observation; unknown values give no reading. */
export function readings(o: Observation, t: RuleThresholds, activeKeys: string[] = []): Reading[] {
	const out: Reading[] = [];
	const keep = 1 - t.hysteresis;
	if (o.ioWrites) {
		const w = o.ioWrites;
		const seen = new Set<string>();
		for (const c of w.containers) {
			const key = `io.write:${c.name}`;
			seen.add(key);
			const rate = writeRate(c, w.freeDiskBytes);
			out.push({
				key,
				// CRIT when the disk is full within a day at this rate
				raise:
					c.bytes > w.thresholdBytesPerDay
						? rate.daysToFull !== null && rate.daysToFull <= 1
							? 'CRIT'
							: 'WARN'
						: null,
				clear: c.bytes < w.thresholdBytesPerDay * keep,
				forMs: 0,
				title: `Heavy writes ${c.name}`,
				detail: `${rate.sentence} (threshold ${formatGB(w.thresholdBytesPerDay)}/day)`,
				recovery: `${c.name} wrote ${formatGB(c.bytes)} in the last 24 h, under the ${formatGB(w.thresholdBytesPerDay)}/day threshold`
			});
		}
		for (const key of activeKeys)
			if (key.startsWith('io.write:') && !seen.has(key))
				out.push({
					key,
					raise: null,
					clear: true,
					forMs: 0,
					title: `Heavy writes ${key.slice(9)}`,
					detail: '',
					recovery: `${key.slice(9)} writes nothing any more`
				});
	}
	if (o.ioSpikes) {
		const seen = new Set<string>();
		for (const sp of o.ioSpikes) {
			const key = `io.spike:${sp.container}`;
			seen.add(key);
			out.push({
				key,
				raise: 'WARN',
				clear: false,
				forMs: 0,
				title: `I/O anomaly ${sp.container}`,
				detail: `${sp.container} wrote ${gib(sp.bytes)} today, ${sp.ratio.toFixed(1)}× its daily median`,
				recovery: `${sp.container} writes are back to normal`
			});
		}
		// an episode whose container is no longer spiking clears
		for (const key of activeKeys)
			if (key.startsWith('io.spike:') && !seen.has(key))
				out.push({
					key,
					raise: null,
					clear: true,
					forMs: 0,
					title: `I/O anomaly ${key.slice(9)}`,
					detail: '',
					recovery: `${key.slice(9)} writes are back to normal`
				});
	}
	const cause = (lead: 'swap' | 'swapCached' | 'memAvailable') => {
		const line = causeLine(o.memoryTrace, lead);
		return line ? `\n${line}` : '';
	};
	if (o.stealPct !== null)
		out.push({
			key: 'steal',
			raise: level(o.stealPct, t.stealWarnPct, t.stealCritPct),
			clear: o.stealPct < t.stealWarnPct * keep,
			forMs: t.stealForMs,
			title: 'CPU steal',
			detail: `CPU steal ${pct(o.stealPct)} for ${Math.round(t.stealForMs / 60_000)} min (WARN > ${t.stealWarnPct} %, CRIT > ${t.stealCritPct} %): the hypervisor is giving this VM's CPU time to others`,
			recovery: `CPU steal back to ${pct(o.stealPct)}`
		});
	if (o.swapUsedBytes !== null)
		out.push({
			key: 'swap.used',
			raise: level(o.swapUsedBytes, t.swapUsedWarnBytes, t.swapUsedCritBytes),
			clear: o.swapUsedBytes < t.swapUsedWarnBytes * keep,
			forMs: 0,
			title: 'Swap used',
			detail: `Swap used ${gib(o.swapUsedBytes)} (WARN > ${gib(t.swapUsedWarnBytes)}, CRIT > ${gib(t.swapUsedCritBytes)})${cause('swap')}`,
			recovery: `Swap used back to ${gib(o.swapUsedBytes)}`
		});
	const avail = o.memAvailableBytes ?? null;
	if (avail !== null)
		out.push({
			key: 'mem.available',
			raise:
				avail < t.memAvailableCritBytes ? 'CRIT' : avail < t.memAvailableWarnBytes ? 'WARN' : null,
			clear: avail > t.memAvailableWarnBytes * (1 + t.hysteresis),
			forMs: 0,
			title: 'MemAvailable low',
			detail: `MemAvailable ${gib(avail)} (WARN < ${gib(t.memAvailableWarnBytes)}, CRIT < ${gib(t.memAvailableCritBytes)}): the kernel is close to swapping or OOM-killing${cause('memAvailable')}`,
			recovery: `MemAvailable back to ${gib(avail)}`
		});
	if (o.swapCachedBytes !== null)
		out.push({
			key: 'swap.cached',
			raise: o.swapCachedBytes > t.swapCachedWarnBytes ? 'WARN' : null,
			clear: o.swapCachedBytes < t.swapCachedWarnBytes * keep,
			forMs: 0,
			title: 'SwapCached early warning',
			detail: `SwapCached ${mib(o.swapCachedBytes)} (> ${mib(t.swapCachedWarnBytes)}): the system was recently under memory pressure${cause('swapCached')}`,
			recovery: `SwapCached back to ${mib(o.swapCachedBytes)}`
		});
	for (const d of o.disks)
		out.push({
			key: `disk:${d.mount}`,
			raise: level(d.usedPct, t.diskWarnPct, t.diskCritPct),
			clear: d.usedPct < t.diskWarnPct * keep,
			forMs: 0,
			title: `Disk ${d.mount}`,
			detail: `Disk ${d.mount} ${pct(d.usedPct)} used (WARN > ${t.diskWarnPct} %, CRIT > ${t.diskCritPct} %)`,
			recovery: `Disk ${d.mount} back to ${pct(d.usedPct)} used`
		});
	for (const f of o.diskFillDays) {
		const used = o.disks.find((d) => d.mount === f.mount)?.usedPct;
		// already past the target: the disk rule speaks; a projection says nothing new
		if (used !== undefined && used >= t.diskFillPct) continue;
		out.push({
			key: `disk.fill:${f.mount}`,
			raise: f.days !== null && f.days <= t.diskFillDays ? 'WARN' : null,
			clear: f.days === null || f.days > t.diskFillDays / keep,
			forMs: 0,
			title: `Disk ${f.mount} filling`,
			detail: `Disk ${f.mount} reaches ${t.diskFillPct} % in ${f.days?.toFixed(1)} days at this week's rate`,
			recovery: `Disk ${f.mount} no longer projected to reach ${t.diskFillPct} % within ${t.diskFillDays} days`
		});
	}
	if (o.unhealthy !== null) {
		const names = [...o.unhealthy].sort();
		out.push({
			key: 'containers.unhealthy',
			raise: names.length ? 'WARN' : null,
			clear: names.length === 0,
			forMs: 0,
			title: 'Unhealthy containers',
			detail: `${names.length} unhealthy container${names.length === 1 ? '' : 's'}: ${names.join(', ')}`,
			recovery: 'No unhealthy containers',
			names
		});
	}
	if (o.dockerUp !== null)
		out.push({
			key: 'docker.down',
			raise: o.dockerUp ? null : 'CRIT',
			clear: o.dockerUp,
			forMs: t.unreachableForMs,
			title: 'Docker unreachable',
			detail: 'Docker does not answer: container health, the watchdog and restarts are blind',
			recovery: 'Docker answers again'
		});
	if (o.prometheusUp !== null)
		out.push({
			key: 'prometheus.down',
			raise: o.prometheusUp ? null : 'WARN',
			clear: o.prometheusUp,
			forMs: t.unreachableForMs,
			title: 'Prometheus unreachable',
			detail: 'Prometheus does not answer: trends and the digest fall back to local history',
			recovery: 'Prometheus answers again'
		});
	for (const j of o.cronJobs ?? []) {
		if (j.state === 'unknown' || j.state === 'disabled') continue; // no reading: keep the episode
		const bad = j.state === 'failed' ? 'CRIT' : j.state === 'missed' ? 'WARN' : null;
		out.push({
			key: `cron:${j.name}`,
			raise: bad,
			clear: bad === null,
			forMs: 0,
			title: `Cron job ${j.name}`,
			detail: `Cron job ${j.name} ${j.state}: ${j.reason}`,
			recovery: `Cron job ${j.name} ran fine again`
		});
	}
	if (o.lastCleanup && o.lastCleanup.status !== 'pending') {
		const failed = o.lastCleanup.status === 'failed';
		out.push({
			key: 'cleanup.failed',
			raise: failed ? 'CRIT' : null,
			clear: !failed,
			forMs: 0,
			title: 'Cleanup failed',
			detail: `The cleanup run of ${o.lastCleanup.start} failed`,
			recovery: `The cleanup run of ${o.lastCleanup.start} succeeded`
		});
	}
	return out;
}

const rank = (s: Severity | null) => (s === 'CRIT' ? 2 : s === 'WARN' ? 1 : 0);
const icon = (s: Severity | 'OK') => (s === 'CRIT' ? '🔴' : s === 'WARN' ? '🟠' : '✅');
const empty = (): Episode => ({
	severity: null,
	pendingSince: null,
	pendingSeverity: null,
	clearingSince: null,
	since: null
});

/** Whether a key is muted: by its own name or a prefix ending before ':' or '.' ('disk' mutes 'disk:/' and 'disk.fill:/'). */
export function isMuted(key: string, mutes: Record<string, number | null>, now: number): boolean {
	const prefixes = [key, ...[...key.matchAll(/[:.]/g)].map((m) => key.slice(0, m.index))];
	for (const k of prefixes) {
		if (!(k in mutes)) continue;
		const until = mutes[k];
		if (until === null || until > now) return true;
	}
	return false;
}

/**
 * One evaluation step. Returns the next state and the notices to send (muted keys keep their
 * episodes but send nothing). `host` names the VM in each message.
 */
export function evaluate({
	state,
	obs,
	thresholds,
	mutes = {},
	host
}: {
	state: RuleState;
	obs: Observation;
	thresholds: RuleThresholds;
	mutes?: Record<string, number | null>;
	host: string;
}): { state: RuleState; notices: Notice[] } {
	const next: RuleState = { ...state };
	const notices: Notice[] = [];
	const now = obs.at;
	const say = (n: Omit<Notice, 'at'>) => {
		if (!isMuted(n.key, mutes, now)) notices.push({ ...n, at: now });
	};
	for (const r of readings(
		obs,
		thresholds,
		Object.keys(state).filter((k) => state[k].severity)
	)) {
		const e: Episode = { ...(state[r.key] ?? empty()) };
		if (e.severity === null) {
			if (r.raise) {
				// sustain timer: restarts when the reading drops below the raise level
				if (e.pendingSince === null) e.pendingSince = now;
				if (rank(r.raise) > rank(e.pendingSeverity)) e.pendingSeverity = r.raise;
				if (now - e.pendingSince >= r.forMs) {
					// sustained at least WARN; CRIT only if this reading is CRIT
					e.severity = r.raise;
					e.since = now;
					e.pendingSince = null;
					e.pendingSeverity = null;
					e.names = r.names;
					say({
						key: r.key,
						kind: 'raise',
						severity: e.severity,
						html: `${icon(e.severity)} <b>${esc(e.severity)} ${esc(r.title)}</b> — ${esc(host)}\n${esc(r.detail)}`
					});
				}
			} else {
				e.pendingSince = null;
				e.pendingSeverity = null;
			}
		} else {
			if (r.clear) {
				if (e.clearingSince === null) e.clearingSince = now;
				if (now - e.clearingSince >= r.forMs) {
					say({
						key: r.key,
						kind: 'recover',
						severity: 'OK',
						html: `${icon('OK')} <b>Recovered: ${esc(r.title)}</b> — ${esc(host)}\n${esc(r.recovery)} (since ${new Date(e.since!).toISOString().slice(0, 16).replace('T', ' ')} UTC)`
					});
					next[r.key] = empty();
					continue;
				}
			} else e.clearingSince = null;
			if (r.raise && rank(r.raise) > rank(e.severity)) {
				e.severity = r.raise;
				say({
					key: r.key,
					kind: 'escalate',
					severity: e.severity,
					html: `${icon(e.severity)} <b>${esc(e.severity)} ${esc(r.title)}</b> (was WARN) — ${esc(host)}\n${esc(r.detail)}`
				});
			}
			if (r.names) {
				const fresh = r.names.filter((n) => !(e.names ?? []).includes(n));
				if (fresh.length)
					say({
						key: r.key,
						kind: 'update',
						severity: e.severity,
						html: `${icon(e.severity)} <b>Newly unhealthy</b> — ${esc(host)}\n${esc(fresh.join(', '))} (${r.names.length} unhealthy in all)`
					});
				e.names = r.names;
			}
		}
		next[r.key] = e;
	}
	// drop idle entries so the stored state stays small (mounts/jobs that went away)
	for (const [k, e] of Object.entries(next))
		if (e.severity === null && e.pendingSince === null) delete next[k];
	return { state: next, notices };
}

/** Watchdog and Docker events: each is one message (no episode), mutable by its key. */
export interface AlertEvent {
	key: 'watchdog.restart' | 'watchdog.restart-failed' | 'watchdog.quarantine' | 'oom';
	container: string;
	reason: string;
	at: number;
	dryRun?: boolean;
}

export function eventNotice(
	ev: AlertEvent,
	host: string,
	mutes: Record<string, number | null> = {}
): Notice | null {
	if (isMuted(ev.key, mutes, ev.at)) return null;
	const dry = ev.dryRun ? ' (dry run: nothing was done)' : '';
	const [sev, head]: [Severity, string] =
		ev.key === 'watchdog.restart'
			? ['WARN', `🔁 <b>Watchdog restarted ${esc(ev.container)}</b>${dry}`]
			: ev.key === 'watchdog.restart-failed'
				? ['CRIT', `🔴 <b>Watchdog could not restart ${esc(ev.container)}</b>${dry}`]
				: ev.key === 'watchdog.quarantine'
					? [
							'CRIT',
							`⛔ <b>Watchdog quarantined ${esc(ev.container)}</b>: no more automatic restarts${dry}`
						]
					: ['CRIT', `💥 <b>OOM kill: ${esc(ev.container)}</b>`];
	return {
		key: ev.key,
		kind: 'raise',
		severity: sev,
		html: `${head} — ${esc(host)}\n${esc(ev.reason)}`,
		at: ev.at
	};
}
