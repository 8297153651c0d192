// The event follower while Docker is unreachable (issue 24): its re-attach attempts grow apart
// with the outage, and `retryNow` (Docker seen again by the adapter) ends the wait. The API is a
// plain object because the spec drives the clock over an hour; following a real daemon's events
// is tests/integration/trends-deploys.test.ts and timeline-exits.test.ts.
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDockerEventFollower } from './event-follower';
import { DockerUnavailableError } from './api';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function fakeEvents() {
	const calls: number[] = [];
	const state = { down: true };
	const api = {
		async events({ signal }: { signal: AbortSignal }) {
			calls.push(Date.now());
			if (state.down)
				throw new DockerUnavailableError('events failed: connect ENOENT', { sent: false });
			const stream = new PassThrough();
			signal.addEventListener('abort', () => stream.end(), { once: true });
			return stream;
		}
	};
	return { api, calls, state };
}

describe('docker event follower while Docker is unreachable', () => {
	beforeEach(() => vi.useFakeTimers({ now: 0 }));
	afterEach(() => vi.useRealTimers());

	it('re-attaches after 5 s at first, then doubling the wait up to once a minute', async () => {
		const docker = fakeEvents();
		const f = createDockerEventFollower({
			api: docker.api,
			events: ['start'],
			onEvent: async () => {},
			what: 'test follower',
			log: quiet
		});
		f.start();
		await vi.advanceTimersByTimeAsync(3_600_000);
		const at = docker.calls.map((t) => t / 1000);
		expect(at.slice(0, 7)).toEqual([0, 5, 15, 35, 75, 135, 195]);
		const gapsMs = docker.calls.slice(1).map((t, i) => t - docker.calls[i]);
		expect(Math.max(...gapsMs)).toBe(60_000);
		expect(docker.calls.length).toBeLessThan(75); // 720 at a fixed 5 s
		expect(f.connected).toBe(false);
		await f.stop();
	});

	it('retryNow ends the wait: it attaches at once when Docker is back', async () => {
		const docker = fakeEvents();
		const attached = vi.fn(async () => {});
		const f = createDockerEventFollower({
			api: docker.api,
			events: ['start'],
			onAttached: attached,
			onEvent: async () => {},
			what: 'test follower',
			log: quiet
		});
		f.start();
		await vi.advanceTimersByTimeAsync(600_000);
		docker.state.down = false;
		const n = docker.calls.length;
		f.retryNow();
		await vi.advanceTimersByTimeAsync(0);
		expect(docker.calls).toHaveLength(n + 1);
		expect(docker.calls.at(-1)).toBe(600_000);
		expect(attached).toHaveBeenCalledOnce();
		expect(f.connected).toBe(true);
		f.retryNow(); // attached: nothing to end
		await vi.advanceTimersByTimeAsync(0);
		expect(docker.calls).toHaveLength(n + 1);
		await f.stop();
	});
});
