import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMetrics, loopLag } from './metrics';

const perfHooks = createRequire(import.meta.url)(
	'node:perf_hooks'
) as typeof import('node:perf_hooks');
const thresholds = {
	stealWarnPct: 5,
	stealCritPct: 10,
	load1WarnPerCpu: 1,
	load1CritPerCpu: 2,
	memAvailableWarnBytes: 1,
	memAvailableCritBytes: 0,
	swapUsedWarnBytes: 1,
	swapUsedCritBytes: 2,
	diskWarnPct: 80,
	diskCritPct: 90
};
const make = () =>
	createMetrics({ latest: () => null, thresholds: thresholds as never, hostId: 'h1' });
const busy = (ms: number) => {
	const end = performance.now() + ms;
	while (performance.now() < end);
};
/** `name{labels} value` lines of the exposition, by metric name. */
async function values(registry: ReturnType<typeof make>) {
	const out = new Map<string, number>();
	for (const line of (await registry.metrics()).split('\n')) {
		const m = /^(\w+)(?:\{[^}]*\})? (\S+)$/.exec(line);
		if (m) out.set(m[1], Number(m[2]));
	}
	return out;
}

describe('event-loop lag in /metrics (issue 24)', () => {
	afterEach(() => vi.restoreAllMocks());

	it('starts no event-loop histogram finer than once a second (10 ms cost 0.6 % of a core at idle)', () => {
		const spy = vi.spyOn(perfHooks, 'monitorEventLoopDelay');
		const registry = make();
		registry.stopLoopLag();
		for (const [opts] of spy.mock.calls)
			expect(opts?.resolution ?? 10).toBeGreaterThanOrEqual(1000);
	});

	it('keeps the lag figures (min, max, mean, stddev, p50, p90, p99) and shows a blocked loop in them', async () => {
		const registry = make();
		try {
			busy(1300); // a 1 s tick falls due inside the block and runs when it ends, late
			await new Promise((r) => setTimeout(r, 50));
			const v = await values(registry);
			for (const s of ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'])
				expect(v.has(`vmwarden_nodejs_eventloop_lag_${s}_seconds`), s).toBe(true);
			expect(v.get('vmwarden_nodejs_eventloop_lag_max_seconds')).toBeGreaterThan(0.2);
			expect(v.get('vmwarden_nodejs_eventloop_lag_p99_seconds')).toBeGreaterThan(0.2);
			expect(v.has('vmwarden_nodejs_eventloop_lag_seconds')).toBe(true); // prom-client's own, per scrape
			// each scrape covers the time since the last: the block is gone from the next one
			const next = await values(registry);
			expect(next.get('vmwarden_nodejs_eventloop_lag_p99_seconds')).toBeLessThan(0.2);
		} finally {
			registry.stopLoopLag();
		}
	});

	it('records the drift of its timer, not the interval itself', async () => {
		const lag = loopLag(20);
		try {
			await new Promise((r) => setTimeout(r, 300));
			busy(100);
			await new Promise((r) => setTimeout(r, 50));
			expect(lag.histogram.count).toBeGreaterThan(3);
			expect(lag.histogram.max / 1e6).toBeGreaterThan(50); // the block, in ms
			expect(lag.histogram.min / 1e6).toBeLessThan(20); // an on-time tick is not 20 ms "late"
		} finally {
			lag.stop();
		}
	});
});
