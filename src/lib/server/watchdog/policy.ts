// The watchdog's decision, as a pure function of plain data (DESIGN decision 2): no IO and no
// clock of its own. The loop (watchdog.ts) gathers the inputs — a fresh inspect, the restart
// history, what it saw in the event stream, whether the HOLD file exists — and acts on the result.

export type WatchdogMode = 'on' | 'off' | 'dry-run';
export type WatchdogScope = 'all' | 'labelled';

/** Docker's State.Status values. */
export type ContainerStatus =
	'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
/** Docker's State.Health.Status, or 'none' without a health check. */
export type HealthStatus = 'none' | 'starting' | 'healthy' | 'unhealthy';

export interface HealthCheckResult {
	/** epoch ms */
	startedAt: number;
	endedAt: number;
	exitCode: number;
	output: string;
}

/** What a fresh inspect says about one container. */
export interface ContainerView {
	id: string;
	/** without Docker's leading slash */
	name: string;
	status: ContainerStatus;
	health: HealthStatus;
	failingStreak: number;
	healthLog: HealthCheckResult[];
	labels: Record<string, string>;
	/** epoch ms of State.StartedAt */
	startedAt: number;
	/** Config.Healthcheck.Interval in ms (Docker's default 30 s when unset) */
	healthIntervalMs: number;
	/** seconds Docker waits for it to stop on a restart (label, Config.StopTimeout, 10); absent = unknown */
	stopTimeoutS?: number;
}

/** What the loop remembers about a container (by history key), beyond what inspect shows. */
export interface ContainerMemory {
	/** epoch ms of each restart the watchdog made (or, in dry-run, would have made), any order */
	restarts: number[];
	/** a `kill` event the watchdog did not cause: the container is being stopped on purpose */
	killedAt?: number | null;
	/** a `stop` event (or compose taking it down) since its last `start` */
	stoppedOnPurposeAt?: number | null;
	quarantinedSince?: number | null;
	quarantineReason?: string | null;
	/** last operator (or automatic) release: restarts before it no longer count against the budget */
	releasedAt?: number | null;
	/** first time the loop saw it healthy in the current healthy run */
	healthySince?: number | null;
}

/** Host-wide state shared by every container's decision. */
export interface HostState {
	/** the containers whose restart is running right now (Docker may be waiting out their stop timeout) */
	restartsInFlight?: string[];
	/**
	 * epoch ms of the restarts on this host (all containers) that count against the host-wide cap,
	 * any order: those that did not help — the container has not been healthy since, or went
	 * unhealthy again (the loop judges; decision 0017)
	 */
	restarts: number[];
	/** the HOLD file exists (the loop checks; a reason read from its first line, if any) */
	hold?: { reason: string } | null;
}

/** A maintenance window in UTC: `days` 0 = Sunday … 6; minutes since midnight; may cross midnight. */
export interface MaintenanceWindow {
	days: number[];
	startMin: number;
	endMin: number;
	/** as written in config, for messages */
	text: string;
}

export interface PolicyConfig {
	mode: WatchdogMode;
	scope: WatchdogScope;
	/** FailingStreak needed before a restart (label vmwarden.watchdog.failures overrides) */
	failures: number;
	cooldownBaseMs: number;
	cooldownMaxMs: number;
	budget: number;
	budgetWindowMs: number;
	globalCap: number;
	globalWindowMs: number;
	/** restarts running at once, host-wide (each may wait its container's whole stop timeout) */
	concurrency: number;
	/** healthy this long → a quarantine ends by itself */
	stableHealthyMs: number;
	/** a `kill` without a following `stop`/`die` stops counting as "being stopped" after this */
	killGraceMs: number;
	maintenanceWindows: MaintenanceWindow[];
	/** 'key=value': only containers carrying it are in scope at all (tests on a shared daemon) */
	onlyLabel?: { key: string; value: string } | null;
	/** the app's own container id(s), when detected */
	selfIds?: string[];
}

export const LABEL_ENABLE = 'vmwarden.watchdog';
export const LABEL_FAILURES = 'vmwarden.watchdog.failures';
/** The app's own container carries this (docker-compose.yml sets it). */
export const LABEL_SELF = 'vmwarden.self';

export type SkipCode =
	| 'off'
	| 'out-of-scope'
	| 'self'
	| 'opted-out'
	| 'not-labelled'
	| 'no-healthcheck'
	| 'not-running'
	| 'stopped-on-purpose'
	| 'stopping'
	| 'starting'
	| 'healthy'
	| 'quarantined';
export type WaitCode = 'streak' | 'cooldown' | 'in-flight' | 'global-cap' | 'hold' | 'maintenance';

export type Decision =
	| { kind: 'restart'; reason: string; failingStreak: number; threshold: number }
	| { kind: 'wait'; code: WaitCode; reason: string; until: number | null }
	| { kind: 'skip'; code: SkipCode; reason: string }
	| { kind: 'quarantine'; reason: string }
	| { kind: 'release'; reason: string };

export interface PolicyInput {
	container: ContainerView;
	memory: ContainerMemory;
	host: HostState;
	now: number;
	config: PolicyConfig;
}

const skip = (code: SkipCode, reason: string): Decision => ({ kind: 'skip', code, reason });
const wait = (code: WaitCode, reason: string, until: number | null): Decision => ({
	kind: 'wait',
	code,
	reason,
	until
});

export const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function humanMs(ms: number): string {
	if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000} min`;
	if (ms % 1000 === 0) return `${ms / 1000} s`;
	return `${ms} ms`;
}

/** The per-container threshold: the label if it is a whole number 1..100, else the default. */
export function failureThreshold(labels: Record<string, string>, def: number): number {
	const raw = labels[LABEL_FAILURES];
	if (raw === undefined || !/^\d{1,3}$/.test(raw.trim())) return def;
	const n = Number(raw.trim());
	return n >= 1 && n <= 100 ? n : def;
}

/** Cooldown after the n-th recent restart: base, doubling, capped. n ≥ 1. */
export function cooldownMs(n: number, baseMs: number, maxMs: number): number {
	if (n < 1) return 0;
	// 2 ** (n - 1) overflows to Infinity for large n; min() keeps the cap.
	return Math.min(baseMs * 2 ** Math.min(n - 1, 52), maxMs);
}

/** The window containing `now`, if any, and when it ends (epoch ms). */
export function activeMaintenanceWindow(
	windows: MaintenanceWindow[],
	now: number
): { window: MaintenanceWindow; endsAt: number } | null {
	const d = new Date(now);
	const dayStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
	const minute = (now - dayStart) / 60_000;
	const today = d.getUTCDay();
	for (const w of windows) {
		const crosses = w.endMin <= w.startMin;
		// Started today.
		if (w.days.includes(today) && minute >= w.startMin && (crosses || minute < w.endMin)) {
			return { window: w, endsAt: dayStart + (crosses ? 1440 + w.endMin : w.endMin) * 60_000 };
		}
		// Started yesterday and crosses midnight.
		if (crosses && w.days.includes((today + 6) % 7) && minute < w.endMin) {
			return { window: w, endsAt: dayStart + w.endMin * 60_000 };
		}
	}
	return null;
}

/** Start of the current failing streak, from the health log (for messages and ordering). */
export function failingSince(log: HealthCheckResult[]): number | null {
	let since: number | null = null;
	for (let i = log.length - 1; i >= 0 && log[i].exitCode !== 0; i--) since = log[i].startedAt;
	return since;
}

/** Start of the current healthy run: the loop's own observation or the health log, whichever is older. */
function healthySince(c: ContainerView, m: ContainerMemory): number | null {
	if (c.health !== 'healthy') return null;
	let since: number | null = null;
	for (let i = c.healthLog.length - 1; i >= 0 && c.healthLog[i].exitCode === 0; i--)
		since = c.healthLog[i].startedAt;
	const seen = m.healthySince ?? null;
	if (since === null) return seen;
	return seen === null ? since : Math.min(since, seen);
}

/** Is the container handled at all? null = yes, else why not. */
export function scopeSkip(c: ContainerView, config: PolicyConfig): Decision | null {
	const only = config.onlyLabel;
	if (only && c.labels[only.key] !== only.value)
		return skip('out-of-scope', `not labelled ${only.key}=${only.value}`);
	if (
		c.labels[LABEL_SELF] === 'true' ||
		(config.selfIds ?? []).some(
			(id) => id && (c.id === id || c.id.startsWith(id) || id.startsWith(c.id))
		)
	) {
		return skip('self', "the app's own container");
	}
	const label = c.labels[LABEL_ENABLE]?.trim().toLowerCase();
	if (label === 'false') return skip('opted-out', `opted out (${LABEL_ENABLE}=false)`);
	if (config.scope === 'labelled' && label !== 'true')
		return skip('not-labelled', `scope is labelled and ${LABEL_ENABLE}=true is not set`);
	return null;
}

/**
 * Decide what to do about one container now. Order matters: scope first, then the
 * container's own state, then quarantine, then the limits that only delay (cooldown, HOLD,
 * maintenance windows, the host-wide concurrency and cap).
 */
export function decide({ container: c, memory: m, host, now, config }: PolicyInput): Decision {
	if (config.mode === 'off') return skip('off', 'watchdog is off');
	const out = scopeSkip(c, config);
	if (out) return out;

	if (m.stoppedOnPurposeAt != null)
		return skip('stopped-on-purpose', `stopped on purpose at ${iso(m.stoppedOnPurposeAt)}`);
	if (c.status !== 'running') {
		return skip(
			'not-running',
			c.status === 'exited'
				? 'exited (Docker’s restart policy handles process exits)'
				: `${c.status}, not running`
		);
	}
	if (m.killedAt != null && now - m.killedAt < config.killGraceMs)
		return skip('stopping', `being stopped (kill signal at ${iso(m.killedAt)})`);
	if (c.health === 'none') return skip('no-healthcheck', 'no health check');

	if (m.quarantinedSince != null) {
		const since = healthySince(c, m);
		if (since !== null && now - since >= config.stableHealthyMs) {
			return {
				kind: 'release',
				reason: `healthy since ${iso(since)} (${humanMs(config.stableHealthyMs)} stable)`
			};
		}
		return skip(
			'quarantined',
			`quarantined since ${iso(m.quarantinedSince)}${m.quarantineReason ? `: ${m.quarantineReason}` : ''}`
		);
	}

	if (c.health === 'starting') return skip('starting', 'health check is starting');
	if (c.health === 'healthy') return skip('healthy', 'healthy');

	// Unhealthy and running.
	const threshold = failureThreshold(c.labels, config.failures);
	if (c.failingStreak < threshold) {
		const last = c.healthLog.at(-1);
		return wait(
			'streak',
			`failing ${c.failingStreak} of ${threshold} checks`,
			last ? last.endedAt + c.healthIntervalMs : null
		);
	}

	const counted = m.restarts
		.filter(
			(t) =>
				t > now - config.budgetWindowMs && t <= now && (m.releasedAt == null || t > m.releasedAt)
		)
		.sort((a, b) => a - b);
	if (counted.length >= config.budget) {
		return {
			kind: 'quarantine',
			reason: `${counted.length} restarts in ${humanMs(config.budgetWindowMs)}, still unhealthy`
		};
	}
	if (counted.length > 0) {
		const until =
			counted[counted.length - 1] +
			cooldownMs(counted.length, config.cooldownBaseMs, config.cooldownMaxMs);
		if (now < until)
			return wait(
				'cooldown',
				`cooling down after restart ${counted.length} of ${config.budget}`,
				until
			);
	}

	if (host.hold)
		return wait(
			'hold',
			`HOLD file present${host.hold.reason ? `: ${host.hold.reason}` : ''}`,
			null
		);
	const mw = activeMaintenanceWindow(config.maintenanceWindows, now);
	if (mw) return wait('maintenance', `maintenance window ${mw.window.text}`, mw.endsAt);
	const running = (host.restartsInFlight ?? []).filter((id) => id !== c.id);
	if (running.length >= config.concurrency) {
		return wait(
			'in-flight',
			`${running.length} restart${running.length === 1 ? ' is' : 's are'} running (at most ${config.concurrency} at once)`,
			null
		);
	}
	const hostRecent = host.restarts
		.filter((t) => t > now - config.globalWindowMs && t <= now)
		.sort((a, b) => a - b);
	if (hostRecent.length >= config.globalCap) {
		return wait(
			'global-cap',
			`host-wide cap of ${config.globalCap} restarts that did not help in ${humanMs(config.globalWindowMs)} reached`,
			hostRecent[hostRecent.length - config.globalCap] + config.globalWindowMs
		);
	}
	return {
		kind: 'restart',
		reason: `unhealthy ${c.failingStreak}x`,
		failingStreak: c.failingStreak,
		threshold
	};
}

/** Parse `VMW_WATCHDOG_MAINTENANCE_WINDOWS` entries: `[days ]HH:MM-HH:MM` in UTC; days `sun`, `mon-fri`, `sat|sun`. */
export function parseMaintenanceWindow(text: string): MaintenanceWindow | string {
	const names = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
	const m = /^(?:([a-z|-]+)\s+)?(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/i.exec(text.trim());
	if (!m)
		return `"${text}": expected [days ]HH:MM-HH:MM such as "sun 02:00-04:00" or "mon-fri 23:30-00:30"`;
	const [sh, sm, eh, em] = [m[2], m[3], m[4], m[5]].map(Number);
	if (sh > 23 || eh > 24 || sm > 59 || em > 59 || (eh === 24 && em !== 0))
		return `"${text}": hours 00-23 and minutes 00-59`;
	const startMin = sh * 60 + sm;
	const endMin = (eh * 60 + em) % 1440;
	if (startMin === endMin) return `"${text}": a window needs a length`;
	let days = [0, 1, 2, 3, 4, 5, 6];
	if (m[1]) {
		days = [];
		for (const part of m[1].toLowerCase().split('|')) {
			const range = part.split('-');
			const idx = range.map((r) => names.indexOf(r));
			if (range.length > 2 || idx.some((i) => i < 0))
				return `"${text}": days are sun..sat, a range mon-fri or a list sat|sun`;
			if (idx.length === 1) days.push(idx[0]);
			else
				for (let d = idx[0]; ; d = (d + 1) % 7) {
					days.push(d);
					if (d === idx[1]) break;
				}
		}
		days = [...new Set(days)].sort();
	}
	return { days, startMin, endMin, text: text.trim() };
}
