// The adapter's schedule while Docker is unreachable (issue 24): it backs off, keeps the last good
// list with its time, comes back at once when a reader needs it, and returns to its interval when
// Docker answers. The daemon is a plain object here because the spec drives the clock (fake
// timers over an hour); the real refusal and recovery against a dockerd that stops and starts
// are tests/integration/docker-recovery.test.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDockerAdapter } from './adapter';
import { DockerUnavailableError, type DockerApi, type RawContainerInspect } from './api';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const ID = 'c'.repeat(64);

/** One running container `shop-web-1`; `down` makes every call fail as a missing socket does. */
function fakeDocker() {
	const calls: number[] = [];
	const state = {
		down: false,
		status: 'Up 2 hours',
		inspects: 0,
		health: undefined as { status: string; intervalNs: number } | undefined
	};
	const refuse = () =>
		new DockerUnavailableError('listContainers failed: connect ENOENT /run/docker.sock', {
			sent: false
		});
	const api = {
		label: 'unix:///run/docker.sock',
		async listContainers() {
			calls.push(Date.now());
			if (state.down) throw refuse();
			return [{ Id: ID, Names: ['/shop-web-1'], State: 'running', Status: state.status }];
		},
		async inspectContainer() {
			if (state.down) throw refuse();
			state.inspects++;
			return {
				Id: ID,
				Name: '/shop-web-1',
				Created: '2026-11-01T10:00:00.000Z',
				Image: 'sha256:abc',
				RestartCount: 0,
				State: {
					Status: 'running',
					Running: true,
					Pid: 1,
					StartedAt: '2026-11-01T10:00:01Z',
					Health: state.health && { Status: state.health.status, FailingStreak: 4, Log: [] }
				},
				Config: {
					Image: 'shop/web:1',
					Labels: {},
					Healthcheck: state.health && { Test: ['CMD', 'true'], Interval: state.health.intervalNs }
				},
				HostConfig: { Memory: 0, CgroupParent: '' }
			} as unknown as RawContainerInspect;
		}
	} as unknown as DockerApi;
	return { api, calls, state };
}

/** Seconds after `from` at which the calls were made. */
const secondsAfter = (calls: number[], from: number) => calls.map((t) => (t - from) / 1000);

describe('docker adapter while Docker is unreachable', () => {
	// the adapter schedules on performance.now (monotonic): fake it with the timers
	beforeEach(() =>
		vi.useFakeTimers({
			now: Date.parse('2026-12-08T00:00:00Z'),
			toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance']
		})
	);
	afterEach(() => vi.useRealTimers());

	it('retries after its interval at first, then doubling the wait up to once a minute', async () => {
		const docker = fakeDocker();
		const adapter = createDockerAdapter({ api: docker.api, intervalMs: 5000, log: quiet });
		adapter.start();
		await vi.advanceTimersByTimeAsync(0);
		expect(adapter.containers().state).toBe('ok');

		docker.state.down = true;
		const downAt = Date.now();
		docker.calls.length = 0;
		await vi.advanceTimersByTimeAsync(3_600_000);
		const at = secondsAfter(docker.calls, downAt);
		// the first failure at the next refresh, then 5, 10, 20, 40, 60, 60 s apart
		expect(at.slice(0, 8)).toEqual([5, 10, 20, 40, 80, 140, 200, 260]);
		const gapsMs = docker.calls.slice(1).map((t, i) => t - docker.calls[i]);
		expect(Math.max(...gapsMs)).toBe(60_000);
		// an hour down: 720 attempts at the interval before; now about one a minute
		expect(docker.calls.length).toBeLessThan(75);
		await adapter.stop();
	});

	it('keeps the last good list and its time while backed off, and says since when it is down', async () => {
		const docker = fakeDocker();
		const adapter = createDockerAdapter({ api: docker.api, intervalMs: 5000, log: quiet });
		adapter.start();
		await vi.advanceTimersByTimeAsync(0);
		const good = adapter.containers();
		if (good.state !== 'ok') throw new Error('expected a first good list');

		docker.state.down = true;
		await vi.advanceTimersByTimeAsync(600_000);
		const down = adapter.containers();
		if (down.state !== 'unavailable') throw new Error('expected unavailable');
		expect(down.lastGood?.map((c) => c.name)).toEqual(['shop-web-1']);
		expect(down.lastGoodAt).toBe(good.at);
		expect(down.reason).toMatch(/connect ENOENT/);
		expect(adapter.health().detail).toMatch(/unavailable .* last good 2026-12-08T00:00:00/);
		expect(adapter.find('shop-web-1')?.name).toBe('shop-web-1');
		await adapter.stop();
	});

	it('a reader (wake) brings the backed-off attempt forward, and Docker back restores the interval', async () => {
		const docker = fakeDocker();
		const adapter = createDockerAdapter({ api: docker.api, intervalMs: 5000, log: quiet });
		adapter.start();
		docker.state.down = true;
		await vi.advanceTimersByTimeAsync(600_000); // backed off to once a minute
		// on to the next attempt
		const before = docker.calls.length;
		while (docker.calls.length === before) await vi.advanceTimersByTimeAsync(500);
		const lastTry = docker.calls.at(-1)!;
		// 10 s after the last attempt: the next is 50 s away
		await vi.advanceTimersByTimeAsync(lastTry + 10_000 - Date.now());

		docker.state.down = false;
		docker.calls.length = 0;
		adapter.wake();
		await vi.advanceTimersByTimeAsync(0);
		expect(secondsAfter(docker.calls, lastTry)).toEqual([10]); // at once, not at 60
		expect(adapter.containers().state).toBe('ok');

		await vi.advanceTimersByTimeAsync(20_000);
		expect(docker.calls).toHaveLength(5); // back at the 5 s interval
		await adapter.stop();
	});

	it('a reader right after an attempt waits one interval from it, not less', async () => {
		const docker = fakeDocker();
		docker.state.down = true;
		const adapter = createDockerAdapter({ api: docker.api, intervalMs: 5000, log: quiet });
		adapter.start();
		await vi.advanceTimersByTimeAsync(600_000);
		// on to the next attempt, then 1 s past it
		const before = docker.calls.length;
		while (docker.calls.length === before) await vi.advanceTimersByTimeAsync(500);
		const lastTry = docker.calls.at(-1)!;
		await vi.advanceTimersByTimeAsync(lastTry + 1_000 - Date.now());
		docker.calls.length = 0;
		adapter.wake();
		adapter.wake(); // a page polling every second costs no more
		await vi.advanceTimersByTimeAsync(3_999);
		expect(docker.calls).toEqual([]);
		await vi.advanceTimersByTimeAsync(1);
		expect(secondsAfter(docker.calls, lastTry)).toEqual([5]);
		await adapter.stop();
	});

	it('wake does nothing while Docker answers', async () => {
		const docker = fakeDocker();
		const adapter = createDockerAdapter({ api: docker.api, intervalMs: 5000, log: quiet });
		adapter.start();
		await vi.advanceTimersByTimeAsync(0);
		docker.calls.length = 0;
		adapter.wake();
		await vi.advanceTimersByTimeAsync(4_999);
		expect(docker.calls).toEqual([]);
		await adapter.stop();
	});
});

describe('docker adapter inspects', () => {
	beforeEach(() =>
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] })
	);
	afterEach(() => vi.useRealTimers());

	it('re-inspects a container whose list entry is unchanged every 2 minutes, one whose health changed at once', async () => {
		const docker = fakeDocker();
		const adapter = createDockerAdapter({ api: docker.api, intervalMs: 5000, log: quiet });
		adapter.start();
		await vi.advanceTimersByTimeAsync(600_000 - 1); // 120 refreshes over 10 minutes
		expect(docker.state.inspects).toBe(5); // at 0, 2, 4, 6, 8 min (at 30 s before: 20)
		docker.state.status = 'Up 2 hours (unhealthy)';
		await vi.advanceTimersByTimeAsync(5_000);
		expect(docker.state.inspects).toBe(6);
		await adapter.stop();
	});

	it.each([
		// [check interval, inspects in 60 s of 5 s refreshes]
		[10, 6], // once per check, not at each refresh (12)
		[5, 12],
		[1, 12] // a check faster than the refresh: every refresh, as before
	])(
		'an unhealthy container with a %i s check is re-inspected once a check can have run: %i a minute',
		async (intervalS, perMinute) => {
			const docker = fakeDocker();
			docker.state.status = 'Up 2 hours (unhealthy)';
			docker.state.health = { status: 'unhealthy', intervalNs: intervalS * 1e9 };
			const adapter = createDockerAdapter({ api: docker.api, intervalMs: 5000, log: quiet });
			adapter.start();
			await vi.advanceTimersByTimeAsync(1); // the first refresh (and inspect)
			docker.state.inspects = 0;
			await vi.advanceTimersByTimeAsync(60_000);
			expect(docker.state.inspects).toBe(perMinute);
			await adapter.stop();
		}
	);
});
