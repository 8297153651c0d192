import { describe, expect, it } from 'vitest';
import {
	evaluate,
	eventNotice,
	isMuted,
	writeRate,
	type Notice,
	type Observation,
	type RuleState,
	type RuleThresholds
} from './rules';
import { ioReport } from '../resources/io';
import { ioWritesOf } from './observe';
import { rankMemoryGrowth } from '../memory/attribution';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 30, 10, 0);
// the roadmap's defaults: steal 5/15 %, swap 1.5/4 GiB, SwapCached 200 MiB, disk 55/70 %;
// MemAvailable 2/1 GiB is the /vm memory card's (the roadmap names none for an alert; decision 0029)
const th: RuleThresholds = {
	stealWarnPct: 5,
	stealCritPct: 15,
	stealForMs: 10 * MIN,
	swapUsedWarnBytes: 1.5 * GiB,
	swapUsedCritBytes: 4 * GiB,
	swapCachedWarnBytes: 200 * MiB,
	memAvailableWarnBytes: 2 * GiB,
	memAvailableCritBytes: 1 * GiB,
	diskWarnPct: 55,
	diskCritPct: 70,
	diskFillPct: 70,
	diskFillDays: 7,
	unreachableForMs: 2 * MIN,
	hysteresis: 0.1
};
const base = (at: number): Observation => ({
	at,
	stealPct: null,
	swapUsedBytes: null,
	swapCachedBytes: null,
	disks: [],
	diskFillDays: [],
	unhealthy: null,
	dockerUp: null,
	prometheusUp: null,
	cronJobs: null,
	lastCleanup: null
});

/** Runs a scripted series one observation per minute; returns every notice with its minute. */
function run(series: Partial<Observation>[], mutes: Record<string, number | null> = {}) {
	let state: RuleState = {};
	const out: (Notice & { minute: number })[] = [];
	series.forEach((o, minute) => {
		const r = evaluate({
			state,
			obs: { ...base(T0 + minute * MIN), ...o },
			thresholds: th,
			mutes,
			host: 'srv1491630'
		});
		state = r.state;
		out.push(...r.notices.map((n) => ({ ...n, minute })));
	});
	return { out, state };
}
const steal = (v: number) => ({ stealPct: v });

describe('steal sustained for N minutes', () => {
	it('raises once after 10 minutes above 5 %, stays quiet, and recovers once below 4.5 % for 10 minutes', () => {
		// minutes 0..2 fine, 3..30 at 8.2 %, 31..50 at 3 %
		const series = [
			...Array(3).fill(steal(2)),
			...Array(28).fill(steal(8.2)),
			...Array(20).fill(steal(3))
		];
		const { out } = run(series);
		expect(out.map((n) => [n.minute, n.kind, n.severity])).toEqual([
			[13, 'raise', 'WARN'], // first above at 3, +10 min
			[41, 'recover', 'OK'] // first clear reading at 31, +10 min
		]);
		expect(out[0].html).toBe(
			"🟠 <b>WARN CPU steal</b> — srv1491630\nCPU steal 8.2 % for 10 min (WARN &gt; 5 %, CRIT &gt; 15 %): the hypervisor is giving this VM's CPU time to others"
		);
		expect(out[1].html).toBe(
			'✅ <b>Recovered: CPU steal</b> — srv1491630\nCPU steal back to 3.0 % (since 2026-11-30 10:13 UTC)'
		);
	});

	it('a dip below the raise level restarts the sustain timer; a value between clear and raise levels holds the episode', () => {
		// 9 min high, 1 dip, 10 high → raises at minute 20; then 4.8 % (between 4.5 and 5) for 30 min: no recovery
		const series = [
			...Array(9).fill(steal(9)),
			steal(4),
			...Array(11).fill(steal(9)),
			...Array(30).fill(steal(4.8))
		];
		const { out, state } = run(series);
		expect(out.map((n) => [n.minute, n.kind])).toEqual([[20, 'raise']]);
		expect(state.steal.severity).toBe('WARN');
	});

	it('escalates once from WARN to CRIT within the episode', () => {
		const series = [
			...Array(11).fill(steal(8)),
			...Array(5).fill(steal(20)),
			...Array(5).fill(steal(8))
		];
		const { out } = run(series);
		expect(out.map((n) => [n.minute, n.kind, n.severity])).toEqual([
			[10, 'raise', 'WARN'],
			[11, 'escalate', 'CRIT']
		]);
	});

	it('keeps the episode when the value is unknown (no reading)', () => {
		const series = [
			...Array(11).fill(steal(8)),
			...Array(20).fill({ stealPct: null }),
			...Array(11).fill(steal(1))
		];
		const { out } = run(series);
		expect(out.map((n) => [n.minute, n.kind])).toEqual([
			[10, 'raise'],
			[41, 'recover'] // clear readings from 31
		]);
	});
});

describe('mute', () => {
	it('a muted rule sends nothing but keeps its episode; an expired mute speaks again', () => {
		const series = [...Array(11).fill(steal(8)), ...Array(11).fill(steal(1))];
		expect(run(series, { steal: null }).out).toEqual([]);
		expect(run(series, { steal: T0 + 15 * MIN }).out.map((n) => [n.minute, n.kind])).toEqual([
			[21, 'recover']
		]);
		expect(isMuted('disk:/var', { disk: null }, T0)).toBe(true);
		expect(isMuted('disk.fill:/var', { disk: null }, T0)).toBe(true);
		expect(isMuted('disk.fill:/var', { 'disk:/var': null }, T0)).toBe(false);
		expect(isMuted('steal', { steal: T0 - 1 }, T0)).toBe(false);
	});
});

describe('swap, SwapCached, disk and projection', () => {
	it('each raises once and recovers past its clear level', () => {
		const series: Partial<Observation>[] = [
			{
				swapUsedBytes: 1.4 * GiB,
				swapCachedBytes: 245 * MiB,
				disks: [{ mount: '/', usedPct: 37 }],
				diskFillDays: [{ mount: '/', days: 20 }]
			},
			{
				swapUsedBytes: 1.6 * GiB,
				swapCachedBytes: 190 * MiB,
				disks: [{ mount: '/', usedPct: 56 }],
				diskFillDays: [{ mount: '/', days: 6.5 }]
			},
			{
				swapUsedBytes: 1.4 * GiB,
				swapCachedBytes: 170 * MiB,
				disks: [{ mount: '/', usedPct: 52 }],
				diskFillDays: [{ mount: '/', days: 7.5 }]
			},
			{
				swapUsedBytes: 1.3 * GiB,
				swapCachedBytes: 170 * MiB,
				disks: [{ mount: '/', usedPct: 49 }],
				diskFillDays: [{ mount: '/', days: null }]
			}
		];
		const { out } = run(series);
		expect(out.map((n) => `${n.minute} ${n.key} ${n.kind}`)).toEqual([
			'0 swap.cached raise', // 245 > 200 MiB
			'1 swap.used raise', // 1.6 > 1.5 GiB
			'1 disk:/ raise', // 56 > 55
			'1 disk.fill:/ raise', // 6.5 ≤ 7 days
			'2 swap.cached recover', // 170 < 180
			'3 swap.used recover', // 1.3 < 1.35 GiB (1.4 is not)
			'3 disk:/ recover', // 49 < 49.5 (52 is not)
			'3 disk.fill:/ recover' // not growing (7.5 < 7.78 days held it)
		]);
		expect(out.find((n) => n.key === 'disk.fill:/')!.html).toBe(
			"🟠 <b>WARN Disk / filling</b> — srv1491630\nDisk / reaches 70 % in 6.5 days at this week's rate"
		);
	});

	it('names what grew in the swap and SwapCached messages, each led by its own figure', () => {
		// since 09:40: swap +1.2 GiB (0.4 -> 1.6 GiB), SwapCached +250 MiB, MemAvailable −0.5 GiB;
		// demand 1.7 GiB (1740.8 MiB) = the 1536 MiB the grower took + 204.8 MiB nothing explains
		const memoryTrace = rankMemoryGrowth({
			before: {
				host: {
					at: T0 - 20 * MIN,
					memAvailableBytes: 4 * GiB,
					swapUsedBytes: 0.4 * GiB,
					swapCachedBytes: 10 * MiB
				},
				containers: [{ key: 'inv/backend', name: 'invttrdg-backend', rssBytes: 500 * MiB }]
			},
			after: {
				host: {
					at: T0,
					memAvailableBytes: 3.5 * GiB,
					swapUsedBytes: 1.6 * GiB,
					swapCachedBytes: 260 * MiB
				},
				containers: [{ key: 'inv/backend', name: 'invttrdg-backend', rssBytes: 2036 * MiB }]
			},
			models: []
		});
		const { out } = run([{ swapUsedBytes: 1.6 * GiB, swapCachedBytes: 260 * MiB, memoryTrace }]);
		expect(out.find((n) => n.key === 'swap.used')!.html).toBe(
			'🟠 <b>WARN Swap used</b> — srv1491630\nSwap used 1.6 GiB (WARN &gt; 1.5 GiB, CRIT &gt; 4.0 GiB)\nSwap +1.2 GiB since 09:40: invttrdg-backend +1.5 GiB, host other +205 MiB'
		);
		expect(out.find((n) => n.key === 'swap.cached')!.html).toContain(
			'\nSwapCached +250 MiB since 09:40: invttrdg-backend +1.5 GiB, host other +205 MiB'
		);
		// no trace (the history is empty): the message is as before
		const plain = run([{ swapUsedBytes: 1.6 * GiB, memoryTrace: null }]).out[0].html;
		expect(plain).toBe(
			'🟠 <b>WARN Swap used</b> — srv1491630\nSwap used 1.6 GiB (WARN &gt; 1.5 GiB, CRIT &gt; 4.0 GiB)'
		);
	});
});

describe('MemAvailable low', () => {
	it('raises under 2 GiB, escalates under 1 GiB, and recovers only over 2.2 GiB', () => {
		const series: Partial<Observation>[] = [2.5, 1.8, 1.9, 0.9, 2.1, 2.3].map((g) => ({
			memAvailableBytes: g * GiB
		}));
		const { out } = run(series);
		expect(out.map((n) => `${n.minute} ${n.key} ${n.kind} ${n.severity}`)).toEqual([
			'1 mem.available raise WARN', // 1.8 < 2 GiB
			'3 mem.available escalate CRIT', // 0.9 < 1 GiB
			'5 mem.available recover OK' // 2.3 > 2.2 GiB (2.1 is not)
		]);
		expect(out[0].html).toBe(
			'🟠 <b>WARN MemAvailable low</b> — srv1491630\nMemAvailable 1.8 GiB (WARN &lt; 2.0 GiB, CRIT &lt; 1.0 GiB): the kernel is close to swapping or OOM-killing'
		);
		// unknown (no fresh sample) keeps the episode: neither a recovery nor a second raise
		expect(
			run([{ memAvailableBytes: 1.5 * GiB }, { memAvailableBytes: null }, {}]).out.map(
				(n) => n.kind
			)
		).toEqual(['raise']);
	});

	it('names the container that grew first, led by the MemAvailable fall', () => {
		// since 09:58: MemAvailable 2.1 -> 1.7 GiB (-409.6 MiB), swap flat; reporter-1 +300 MiB over
		// the two minutes, web-1 flat: 300 MiB explained, host other the 109.6 MiB left
		const memoryTrace = rankMemoryGrowth({
			before: {
				host: {
					at: T0 - 2 * MIN,
					memAvailableBytes: 2.1 * GiB,
					swapUsedBytes: 0,
					swapCachedBytes: 0
				},
				containers: [
					{ key: 'jobs/reporter', name: 'reporter-1', rssBytes: 100 * MiB },
					{ key: 'shop/web', name: 'web-1', rssBytes: 400 * MiB }
				]
			},
			after: {
				host: { at: T0, memAvailableBytes: 1.7 * GiB, swapUsedBytes: 0, swapCachedBytes: 0 },
				containers: [
					{ key: 'jobs/reporter', name: 'reporter-1', rssBytes: 400 * MiB },
					{ key: 'shop/web', name: 'web-1', rssBytes: 400 * MiB }
				]
			},
			models: []
		});
		const { out } = run([{ memAvailableBytes: 1.7 * GiB, swapUsedBytes: 0, memoryTrace }]);
		expect(out.map((n) => n.key)).toEqual(['mem.available']);
		expect(out[0].html.split('\n')[2]).toBe(
			'MemAvailable −410 MiB since 09:58: reporter-1 +300 MiB, host other +110 MiB'
		);
	});
});

describe('containers, sources, cron and cleanup', () => {
	it('names the unhealthy containers, then only the new ones, and recovers when none is left', () => {
		const series: Partial<Observation>[] = [
			{ unhealthy: [] },
			{ unhealthy: ['invttrdg-backend'] },
			{ unhealthy: ['invttrdg-backend'] },
			{ unhealthy: ['invttrdg-backend', 'web<2>'] },
			{ unhealthy: null }, // Docker down: no reading
			{ unhealthy: [] }
		];
		const { out } = run(series);
		expect(out.map((n) => [n.minute, n.kind, n.html.split('\n')[1]])).toEqual([
			[1, 'raise', '1 unhealthy container: invttrdg-backend'],
			[3, 'update', 'web&lt;2&gt; (2 unhealthy in all)'],
			[5, 'recover', 'No unhealthy containers (since 2026-11-30 10:01 UTC)']
		]);
	});

	it('Docker and Prometheus unreachable raise after 2 minutes and recover', () => {
		const series = [
			{ dockerUp: false, prometheusUp: false },
			{ dockerUp: false, prometheusUp: true },
			{ dockerUp: false, prometheusUp: false },
			{ dockerUp: true, prometheusUp: false },
			{ dockerUp: true, prometheusUp: false },
			{ dockerUp: true, prometheusUp: false },
			{ dockerUp: true, prometheusUp: true }
		];
		const { out } = run(series);
		// docker down at 0,1,2 → raise at 2; up from 3 → clear needs 2 min → recover at 5
		// prometheus down from 2 (timer reset at 1) → raise at 4; up at 6 → recover at 8 (not in the series)
		expect(out.map((n) => `${n.minute} ${n.key} ${n.kind} ${n.severity}`)).toEqual([
			'2 docker.down raise CRIT',
			'4 prometheus.down raise WARN',
			'5 docker.down recover OK'
		]);
	});

	it('a failed cron job is CRIT, a missed one WARN, unknown keeps the episode; a failed cleanup recovers on the next good run', () => {
		const job = (state: string) => ({
			cronJobs: [{ name: 'cleanup-standard', state, reason: `r-${state}` }]
		});
		const series: Partial<Observation>[] = [
			{ ...job('ok'), lastCleanup: { id: 'a', start: '2026-11-30T03:00:00Z', status: 'ok' } },
			{
				...job('failed'),
				lastCleanup: { id: 'b', start: '2026-11-30T03:00:00Z', status: 'failed' }
			},
			{
				...job('unknown'),
				lastCleanup: { id: 'b', start: '2026-11-30T03:00:00Z', status: 'failed' }
			},
			{ ...job('ok'), lastCleanup: { id: 'c', start: '2026-12-01T03:00:00Z', status: 'ok' } },
			job('missed')
		];
		const { out } = run(series);
		expect(out.map((n) => `${n.minute} ${n.key} ${n.kind} ${n.severity}`)).toEqual([
			'1 cron:cleanup-standard raise CRIT',
			'1 cleanup.failed raise CRIT',
			'3 cron:cleanup-standard recover OK',
			'3 cleanup.failed recover OK',
			'4 cron:cleanup-standard raise WARN'
		]);
		expect(out[0].html).toBe(
			'🔴 <b>CRIT Cron job cleanup-standard</b> — srv1491630\nCron job cleanup-standard failed: r-failed'
		);
	});
});

describe('I/O anomaly', () => {
	it('raises per container while it spikes and recovers when it stops; unknown keeps the episode', () => {
		const spike = (ratio: number) => ({ container: 'invttrdg-backend', bytes: 12 * GiB, ratio });
		const { out } = run([
			{ ioSpikes: [] },
			{ ioSpikes: [spike(4.2)] },
			{ ioSpikes: [spike(5)] },
			{ ioSpikes: null },
			{ ioSpikes: [] }
		]);
		expect(out.map((n) => [n.minute, n.key, n.kind])).toEqual([
			[1, 'io.spike:invttrdg-backend', 'raise'],
			[4, 'io.spike:invttrdg-backend', 'recover']
		]);
		expect(out[0].html).toBe(
			'🟠 <b>WARN I/O anomaly invttrdg-backend</b> — srv1491630\ninvttrdg-backend wrote 12.0 GiB today, 4.2× its daily median'
		);
	});
});

describe('heavy writes above VMW_IO_WRITE_THRESHOLD_GB (from the first day)', () => {
	const H = 60 * MIN;
	// the roadmap's invttrdg-backend: 22 GB in its first 13 h of history, 123 GB free, threshold 10 GB/day
	const firstDay = (at: number, bytes = 22e9) =>
		ioWritesOf({
			at,
			io: ioReport(
				[
					{
						key: 'invttrdg/backend',
						name: 'invttrdg-backend',
						stack: 'invttrdg',
						points: Array.from({ length: 13 * 60 }, (_, i) => ({
							ts: at - 13 * H + i * MIN,
							writeBps: bytes / (13 * 3600)
						}))
					}
				],
				{ now: at, thresholdBytesPerDay: 10e9, factor: 3, freeDiskBytes: 123e9 }
			)
		});

	it('raises with the rate and the disk-full estimate, from the resources io report of a container seen for 13 h', () => {
		const { out } = run([{ ioWrites: firstDay(T0) }]);
		expect(out.map((n) => [n.key, n.kind, n.severity])).toEqual([
			['io.write:invttrdg-backend', 'raise', 'WARN']
		]);
		// 22/13 = 1.69 GB/h; 123 GB / 1.69 GB/h = 72.7 h = 3.0 days
		expect(out[0].html).toBe(
			'🟠 <b>WARN Heavy writes invttrdg-backend</b> — srv1491630\ninvttrdg-backend wrote 22.0 GB in 13 h (1.7 GB/h): at this rate the disk (123 GB free) is full in ~3 days (threshold 10.0 GB/day)'
		);
	});

	it('one message per episode; clears under the threshold less the hysteresis (9 GB), or when the container is gone; unknown keeps it', () => {
		const at = (m: number) => T0 + m * MIN;
		const { out } = run([
			{ ioWrites: firstDay(at(0)) },
			{ ioWrites: firstDay(at(1), 25e9) },
			{ ioWrites: null },
			{ ioWrites: firstDay(at(3), 9.5e9) },
			{ ioWrites: firstDay(at(4), 8e9) },
			{ ioWrites: firstDay(at(5)) },
			{ ioWrites: { thresholdBytesPerDay: 10e9, freeDiskBytes: 1e12, containers: [] } }
		]);
		expect(out.map((n) => [n.minute, n.kind])).toEqual([
			[0, 'raise'],
			[4, 'recover'],
			[5, 'raise'],
			[6, 'recover']
		]);
		expect(out[1].html).toContain(
			'invttrdg-backend wrote 8.0 GB in the last 24 h, under the 10.0 GB/day threshold'
		);
	});

	it('CRIT when the disk is full within a day at that rate; the free disk unknown is said', () => {
		expect(writeRate({ name: 'w', bytes: 48e9, spanMs: 24 * H }, 30e9)).toEqual({
			sentence:
				'w wrote 48.0 GB in 24 h (2.0 GB/h): at this rate the disk (30 GB free) is full in ~15 h',
			daysToFull: 15 / 24
		});
		expect(writeRate({ name: 'w', bytes: 12e9, spanMs: 30 * MIN }, null).sentence).toBe(
			'w wrote 12.0 GB in 30 min (24.0 GB/h); free disk unknown'
		);
		const { out } = run([
			{
				ioWrites: {
					thresholdBytesPerDay: 10e9,
					freeDiskBytes: 30e9,
					containers: [{ name: 'w', bytes: 48e9, spanMs: 24 * H }]
				}
			}
		]);
		expect(out.map((n) => [n.key, n.severity])).toEqual([['io.write:w', 'CRIT']]);
	});
});

describe('events', () => {
	it('watchdog restart, quarantine and OOM each make one message, muted by key', () => {
		const at = T0;
		expect(
			eventNotice(
				{
					key: 'watchdog.quarantine',
					container: 'invttrdg-backend',
					reason: '3 restarts in 10 min',
					at
				},
				'vm'
			)!.html
		).toBe(
			'⛔ <b>Watchdog quarantined invttrdg-backend</b>: no more automatic restarts — vm\n3 restarts in 10 min'
		);
		expect(
			eventNotice(
				{
					key: 'oom',
					container: 'qwen2.5-coder:1.5b&x',
					reason: 'OOM kill seen in the Docker event stream',
					at
				},
				'vm'
			)!.html
		).toBe(
			'💥 <b>OOM kill: qwen2.5-coder:1.5b&amp;x</b> — vm\nOOM kill seen in the Docker event stream'
		);
		expect(
			eventNotice({ key: 'watchdog.restart', container: 'a', reason: 'r', at }, 'vm', {
				watchdog: null
			})
		).toBeNull();
	});
});
