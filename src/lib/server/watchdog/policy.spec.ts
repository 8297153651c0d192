import { describe, expect, it } from 'vitest';
import {
	activeMaintenanceWindow,
	cooldownMs,
	decide,
	failingSince,
	failureThreshold,
	parseMaintenanceWindow,
	type ContainerMemory,
	type ContainerView,
	type Decision,
	type HostState,
	type MaintenanceWindow,
	type PolicyConfig
} from './policy';
import { formatWatchdogLine } from './log-line';

// 2026-05-27 is a Wednesday (UTC day 3); 10:00:00Z.
const NOW = Date.UTC(2026, 4, 27, 10, 0, 0);
const S = 1000;
const MIN = 60 * S;

const CONFIG: PolicyConfig = {
	mode: 'on',
	scope: 'all',
	failures: 3,
	cooldownBaseMs: 10 * S,
	cooldownMaxMs: 5 * MIN,
	budget: 3,
	budgetWindowMs: 10 * MIN,
	globalCap: 5,
	globalWindowMs: 10 * MIN,
	concurrency: 4,
	stableHealthyMs: 10 * MIN,
	killGraceMs: 60 * S,
	maintenanceWindows: [],
	onlyLabel: null,
	selfIds: []
};

/** Three failed checks 1 s apart ending 1 s before NOW. */
const failingLog = (n = 3) =>
	Array.from({ length: n }, (_, i) => ({
		startedAt: NOW - (n - i) * S,
		endedAt: NOW - (n - i) * S + 100,
		exitCode: 1,
		output: 'refused'
	}));

function unhealthy(over: Partial<ContainerView> = {}): ContainerView {
	return {
		id: 'a'.repeat(64),
		name: 'web',
		status: 'running',
		health: 'unhealthy',
		failingStreak: 3,
		healthLog: failingLog(),
		labels: {},
		startedAt: NOW - 30 * MIN,
		healthIntervalMs: 1000,
		...over
	};
}

const mem = (over: Partial<ContainerMemory> = {}): ContainerMemory => ({ restarts: [], ...over });
const host = (over: Partial<HostState> = {}): HostState => ({ restarts: [], ...over });

function run(
	c: Partial<ContainerView>,
	m: Partial<ContainerMemory> = {},
	h: Partial<HostState> = {},
	cfg: Partial<PolicyConfig> = {},
	now = NOW
): Decision {
	return decide({
		container: unhealthy(c),
		memory: mem(m),
		host: host(h),
		now,
		config: { ...CONFIG, ...cfg }
	});
}

describe('decide: restart only a running container unhealthy for the threshold', () => {
	it('restarts at FailingStreak 3 (the default threshold)', () => {
		expect(run({})).toEqual({
			kind: 'restart',
			reason: 'unhealthy 3x',
			failingStreak: 3,
			threshold: 3
		});
	});

	it.each([
		// [streak, label, expected kind]
		[2, undefined, 'wait'],
		[3, undefined, 'restart'],
		[4, '5', 'wait'],
		[5, '5', 'restart'],
		[1, '1', 'restart'],
		[3, 'many', 'restart'], // a bad label falls back to the default 3
		[3, '0', 'restart'] // 0 is not a valid threshold: default
	])('streak %i with label vmwarden.watchdog.failures=%s -> %s', (streak, label, kind) => {
		const labels: Record<string, string> =
			label === undefined ? {} : { 'vmwarden.watchdog.failures': label };
		expect(
			run({ failingStreak: streak, healthLog: failingLog(Math.min(streak, 5)), labels }).kind
		).toBe(kind);
	});

	it('waits for the next check when the streak is short: last check end + interval', () => {
		// last check ended at NOW - 1 s + 100 ms; interval 1 s -> NOW + 100 ms
		expect(run({ failingStreak: 2, healthLog: failingLog(2) })).toEqual({
			kind: 'wait',
			code: 'streak',
			reason: 'failing 2 of 3 checks',
			until: NOW + 100
		});
	});

	it.each([
		['starting', { health: 'starting' }, 'starting'],
		['healthy', { health: 'healthy' }, 'healthy'],
		['no health check', { health: 'none' }, 'no-healthcheck'],
		['exited but still marked unhealthy', { status: 'exited' }, 'not-running'],
		['paused', { status: 'paused' }, 'not-running'],
		['restarting', { status: 'restarting' }, 'not-running'],
		['created', { status: 'created' }, 'not-running'],
		['removing', { status: 'removing' }, 'not-running'],
		['dead', { status: 'dead' }, 'not-running']
	] as [string, Partial<ContainerView>, string][])(
		'skips a container that is %s',
		(_what, over, code) => {
			expect(run(over)).toMatchObject({ kind: 'skip', code });
		}
	);

	it('skips one stopped on purpose (stop event / compose down) even if inspect still says running', () => {
		expect(run({}, { stoppedOnPurposeAt: NOW - 2 * S })).toEqual({
			kind: 'skip',
			code: 'stopped-on-purpose',
			reason: 'stopped on purpose at 2026-05-27T09:59:58Z'
		});
	});

	it('skips one being stopped (kill seen) during the grace period, then handles it again', () => {
		expect(run({}, { killedAt: NOW - 59 * S })).toMatchObject({ kind: 'skip', code: 'stopping' });
		// a kill signal that did not stop it (e.g. SIGHUP to reload) stops counting after 60 s
		expect(run({}, { killedAt: NOW - 60 * S })).toMatchObject({ kind: 'restart' });
	});
});

describe('decide: scope', () => {
	it.each([
		['opt-out label', { 'vmwarden.watchdog': 'false' }, {}, 'opted-out'],
		['opt-out label, any case', { 'vmwarden.watchdog': 'FALSE' }, {}, 'opted-out'],
		['labelled scope without the label', {}, { scope: 'labelled' }, 'not-labelled'],
		[
			'labelled scope with =yes (only true counts)',
			{ 'vmwarden.watchdog': 'yes' },
			{ scope: 'labelled' },
			'not-labelled'
		],
		["the app's own container by label", { 'vmwarden.self': 'true' }, {}, 'self'],
		[
			'the test-only label filter',
			{ 'vmwarden.test': 'other-run' },
			{ onlyLabel: { key: 'vmwarden.test', value: 'my-run' } },
			'out-of-scope'
		],
		['mode off', {}, { mode: 'off' }, 'off']
	] as [string, Record<string, string>, Partial<PolicyConfig>, string][])(
		'%s -> skip %s',
		(_what, labels, cfg, code) => {
			expect(run({ labels }, {}, {}, cfg)).toMatchObject({ kind: 'skip', code });
		}
	);

	it.each([
		['labelled scope with the label', { 'vmwarden.watchdog': 'true' }, { scope: 'labelled' }],
		[
			'the test-only label filter matching',
			{ 'vmwarden.test': 'my-run' },
			{ onlyLabel: { key: 'vmwarden.test', value: 'my-run' } }
		],
		['dry-run decides the same (the loop does not act)', {}, { mode: 'dry-run' }]
	] as [string, Record<string, string>, Partial<PolicyConfig>][])(
		'%s -> restart',
		(_what, labels, cfg) => {
			expect(run({ labels }, {}, {}, cfg).kind).toBe('restart');
		}
	);

	it("skips the app's own container by detected id (full or short)", () => {
		expect(run({}, {}, {}, { selfIds: ['a'.repeat(64)] })).toMatchObject({
			kind: 'skip',
			code: 'self'
		});
		expect(run({}, {}, {}, { selfIds: ['a'.repeat(12)] })).toMatchObject({
			kind: 'skip',
			code: 'self'
		});
		expect(run({}, {}, {}, { selfIds: ['b'.repeat(12), ''] }).kind).toBe('restart');
	});
});

describe('decide: cooldown with exponential backoff', () => {
	it.each([
		[1, 10 * S],
		[2, 20 * S],
		[3, 40 * S],
		[5, 160 * S],
		[6, 5 * MIN], // 320 s capped at 300 s
		[60, 5 * MIN],
		[2000, 5 * MIN] // 2^1999 would be Infinity; still the cap
	])('cooldown after restart %i is %i ms', (n, ms) => {
		expect(cooldownMs(n, 10 * S, 5 * MIN)).toBe(ms);
	});

	it('waits 10 s after the first restart, then restarts', () => {
		expect(run({}, { restarts: [NOW - 9 * S] })).toEqual({
			kind: 'wait',
			code: 'cooldown',
			reason: 'cooling down after restart 1 of 3',
			until: NOW + S
		});
		expect(run({}, { restarts: [NOW - 10 * S] }).kind).toBe('restart');
	});

	it('waits 20 s after the second', () => {
		expect(run({}, { restarts: [NOW - 60 * S, NOW - 19 * S] })).toMatchObject({
			kind: 'wait',
			code: 'cooldown',
			until: NOW + S
		});
		expect(run({}, { restarts: [NOW - 60 * S, NOW - 20 * S] }).kind).toBe('restart');
	});

	it('backs off to the 5 min cap with a large budget', () => {
		const restarts = [1, 2, 3, 4, 5, 6].map((i) => NOW - 9 * MIN + i * S); // six in the last 9 min
		// last at NOW - 9 min + 6 s; cooldown 5 min (cap) -> ended long ago: restart
		expect(run({}, { restarts }, {}, { budget: 50 }).kind).toBe('restart');
		const late = [...restarts, NOW - 4 * MIN]; // seventh, 4 min ago: cooldown 5 min -> until NOW + 1 min
		expect(run({}, { restarts: late }, {}, { budget: 50 })).toMatchObject({
			kind: 'wait',
			code: 'cooldown',
			until: NOW + MIN
		});
	});
});

describe('decide: budget and quarantine', () => {
	it('quarantines when a 4th restart would be needed within 10 min', () => {
		expect(run({}, { restarts: [NOW - 9 * MIN, NOW - 5 * MIN, NOW - 2 * MIN] })).toEqual({
			kind: 'quarantine',
			reason: '3 restarts in 10 min, still unhealthy'
		});
	});

	it('does not count restarts older than the window, nor before a release', () => {
		// the oldest is 10 min + 1 s ago: 2 remain; last 2 min ago, cooldown 20 s over -> restart
		expect(run({}, { restarts: [NOW - 10 * MIN - S, NOW - 5 * MIN, NOW - 2 * MIN] }).kind).toBe(
			'restart'
		);
		expect(
			run(
				{},
				{ restarts: [NOW - 9 * MIN, NOW - 5 * MIN, NOW - 2 * MIN], releasedAt: NOW - 3 * MIN }
			).kind
		).toBe('restart');
	});

	it('a quarantined container is left alone while unhealthy', () => {
		expect(
			run(
				{},
				{ quarantinedSince: NOW - MIN, quarantineReason: '3 restarts in 10 min, still unhealthy' }
			)
		).toEqual({
			kind: 'skip',
			code: 'quarantined',
			reason: 'quarantined since 2026-05-27T09:59:00Z: 3 restarts in 10 min, still unhealthy'
		});
	});

	it('a quarantine ends after a stable healthy period', () => {
		const ok = (ago: number) => ({
			startedAt: NOW - ago,
			endedAt: NOW - ago + 100,
			exitCode: 0,
			output: ''
		});
		const q = { quarantinedSince: NOW - 30 * MIN };
		// healthy for 9 min (loop's observation) -> still quarantined
		expect(
			run(
				{ health: 'healthy', failingStreak: 0, healthLog: [ok(3 * S)] },
				{ ...q, healthySince: NOW - 9 * MIN }
			)
		).toMatchObject({ kind: 'skip', code: 'quarantined' });
		// 10 min -> released
		expect(
			run(
				{ health: 'healthy', failingStreak: 0, healthLog: [ok(3 * S)] },
				{ ...q, healthySince: NOW - 10 * MIN }
			)
		).toEqual({
			kind: 'release',
			reason: 'healthy since 2026-05-27T09:50:00Z (10 min stable)'
		});
		// the health log alone can prove it too (older successful checks)
		expect(
			run({ health: 'healthy', failingStreak: 0, healthLog: [ok(11 * MIN), ok(5 * MIN)] }, q)
		).toMatchObject({ kind: 'release' });
		// a failure in the log after the old success resets the run
		expect(
			run(
				{
					health: 'healthy',
					failingStreak: 0,
					healthLog: [ok(11 * MIN), { ...ok(6 * MIN), exitCode: 1 }, ok(5 * MIN)]
				},
				q
			)
		).toMatchObject({ kind: 'skip', code: 'quarantined' });
	});
});

describe('decide: host-wide limits, HOLD and maintenance windows', () => {
	it('restarts run concurrently up to the limit across the host (4 by default)', () => {
		const ids = (n: number) => Array.from({ length: n }, (_, i) => String(i).repeat(64));
		expect(run({}, {}, { restartsInFlight: ids(3) }).kind).toBe('restart');
		expect(run({}, {}, { restartsInFlight: ids(4) })).toEqual({
			kind: 'wait',
			code: 'in-flight',
			reason: '4 restarts are running (at most 4 at once)',
			until: null
		});
		expect(run({}, {}, { restartsInFlight: ids(1) }, { concurrency: 1 })).toEqual({
			kind: 'wait',
			code: 'in-flight',
			reason: '1 restart is running (at most 1 at once)',
			until: null
		});
		// its own restart in flight does not hold it back
		expect(run({}, {}, { restartsInFlight: ['a'.repeat(64)] }, { concurrency: 1 }).kind).toBe(
			'restart'
		);
	});

	it('a global cap per window: 5 in 10 min, until the oldest of the last 5 leaves the window', () => {
		const restarts = [9, 8, 7, 6, 5].map((m) => NOW - m * MIN);
		expect(run({}, {}, { restarts })).toEqual({
			kind: 'wait',
			code: 'global-cap',
			reason: 'host-wide cap of 5 restarts that did not help in 10 min reached',
			until: NOW + MIN
		});
		expect(run({}, {}, { restarts: restarts.slice(1) }).kind).toBe('restart');
		expect(run({}, {}, { restarts: [NOW - 11 * MIN, ...restarts.slice(1)] }).kind).toBe('restart');
	});

	it('HOLD file present -> wait with its reason', () => {
		expect(run({}, {}, { hold: { reason: 'disk migration' } })).toEqual({
			kind: 'wait',
			code: 'hold',
			reason: 'HOLD file present: disk migration',
			until: null
		});
	});

	const sunNight = parseMaintenanceWindow('sun 23:00-01:00') as MaintenanceWindow;
	const weekdays = parseMaintenanceWindow('mon-fri 09:30-10:30') as MaintenanceWindow;

	it('inside a maintenance window -> wait until its end', () => {
		// Wednesday 10:00 is inside mon-fri 09:30-10:30; ends 10:30 the same day
		expect(run({}, {}, {}, { maintenanceWindows: [weekdays] })).toEqual({
			kind: 'wait',
			code: 'maintenance',
			reason: 'maintenance window mon-fri 09:30-10:30',
			until: NOW + 30 * MIN
		});
		expect(run({}, {}, {}, { maintenanceWindows: [sunNight] }).kind).toBe('restart');
	});

	it.each([
		// [description, epoch ms, expected end or null]
		['Sunday 23:30 (started today)', Date.UTC(2026, 4, 31, 23, 30), Date.UTC(2026, 5, 1, 1, 0)],
		['Monday 00:30 (started Sunday)', Date.UTC(2026, 5, 1, 0, 30), Date.UTC(2026, 5, 1, 1, 0)],
		['Monday 01:00 (ended)', Date.UTC(2026, 5, 1, 1, 0), null],
		['Saturday 23:30 (not Sunday)', Date.UTC(2026, 4, 30, 23, 30), null]
	])('a window across midnight: %s', (_what, at, end) => {
		expect(activeMaintenanceWindow([sunNight], at)?.endsAt ?? null).toBe(end);
	});

	it('parses window specs and rejects bad ones with the reason', () => {
		expect(parseMaintenanceWindow('02:00-04:00')).toEqual({
			days: [0, 1, 2, 3, 4, 5, 6],
			startMin: 120,
			endMin: 240,
			text: '02:00-04:00'
		});
		expect(parseMaintenanceWindow('sat|sun 22:00-24:00')).toEqual({
			days: [0, 6],
			startMin: 1320,
			endMin: 0,
			text: 'sat|sun 22:00-24:00'
		});
		expect(parseMaintenanceWindow('fri-mon 01:00-02:00')).toMatchObject({ days: [0, 1, 5, 6] });
		expect(parseMaintenanceWindow('25:00-26:00')).toMatch(/hours 00-23/);
		expect(parseMaintenanceWindow('funday 01:00-02:00')).toMatch(/days are sun..sat/);
		expect(parseMaintenanceWindow('02:00-02:00')).toMatch(/needs a length/);
		expect(parseMaintenanceWindow('$(reboot)')).toMatch(/expected \[days \]HH:MM-HH:MM/);
	});

	it('state rules come before the limits: a starting container is skipped even under HOLD', () => {
		expect(run({ health: 'starting' }, {}, { hold: { reason: '' } })).toMatchObject({
			kind: 'skip',
			code: 'starting'
		});
	});
});

describe('helpers', () => {
	it('failureThreshold accepts 1..100 only', () => {
		expect(failureThreshold({ 'vmwarden.watchdog.failures': ' 7 ' }, 3)).toBe(7);
		expect(failureThreshold({ 'vmwarden.watchdog.failures': '101' }, 3)).toBe(3);
		expect(failureThreshold({ 'vmwarden.watchdog.failures': '-1' }, 3)).toBe(3);
		expect(failureThreshold({ 'vmwarden.watchdog.failures': '2.5' }, 3)).toBe(3);
	});

	it('failingSince is the start of the trailing failures', () => {
		const log = [
			{ startedAt: 1, endedAt: 2, exitCode: 1, output: '' },
			{ startedAt: 3, endedAt: 4, exitCode: 0, output: '' },
			{ startedAt: 5, endedAt: 6, exitCode: 1, output: '' },
			{ startedAt: 7, endedAt: 8, exitCode: 1, output: '' }
		];
		expect(failingSince(log)).toBe(5);
		expect(failingSince([])).toBeNull();
	});
});

describe('docker-watchdog.log lines', () => {
	it('match the roadmap format exactly', () => {
		expect(
			formatWatchdogLine(Date.UTC(2026, 4, 27, 10, 0, 0, 123), {
				kind: 'restarted',
				name: '/web',
				reason: 'unhealthy 3x'
			})
		).toBe('[2026-05-27T10:00:00Z] Auto-restarted: web (unhealthy 3x)\n');
	});

	it('keep one event on one line whatever the error text holds', () => {
		const line = formatWatchdogLine(NOW, {
			kind: 'restart-failed',
			name: 'web',
			error: 'boom\n[2026-01-01T00:00:00Z] Auto-restarted: fake (x)'
		});
		expect(line.split('\n')).toHaveLength(2); // the line and the empty string after its newline
		expect(line).toBe(
			'[2026-05-27T10:00:00Z] Restart failed: web (boom [2026-01-01T00:00:00Z] Auto-restarted: fake (x))\n'
		);
	});

	it.each([
		[
			{ kind: 'quarantined', name: 'web', reason: '3 restarts in 10 min, still unhealthy' },
			'Quarantined: web (3 restarts in 10 min, still unhealthy)'
		],
		[{ kind: 'released', name: 'web', reason: 'operator' }, 'Released: web (operator)'],
		[{ kind: 'oom', name: 'web' }, 'OOM killed: web'],
		[
			{ kind: 'would-restart', name: 'web', reason: 'unhealthy 3x' },
			'Would restart (dry-run): web (unhealthy 3x)'
		]
	] as const)('%o', (e, text) => {
		expect(formatWatchdogLine(NOW, e)).toBe(`[2026-05-27T10:00:00Z] ${text}\n`);
	});
});
