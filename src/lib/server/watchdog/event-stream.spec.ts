import { describe, expect, it, vi } from 'vitest';
import { createEventStream } from './event-stream';
import { createLogger } from '../log';
import type { DockerEvent } from './docker-port';

const log = createLogger('event-stream-test');
const event = (id: string): DockerEvent => ({
	id,
	action: 'start',
	name: id,
	attributes: {},
	at: 1
});

describe('watchdog event stream', () => {
	it('attaches, passes events on, and reattaches after the stream ends (a daemon restart)', async () => {
		let ends: () => void = () => {};
		// like the port: resolves when the daemon ends the stream, or when the signal aborts it
		const streamEvents = vi.fn((onEvent: (e: DockerEvent) => void, signal: AbortSignal) => {
			onEvent(event(`c${streamEvents.mock.calls.length}`));
			return new Promise<void>((r) => {
				ends = r;
				signal.addEventListener('abort', () => r(), { once: true });
			});
		});
		const seen: string[] = [];
		const detached: string[] = [];
		const onAttach = vi.fn();
		const s = createEventStream({
			docker: { ping: async () => {}, streamEvents },
			clock: Date.now,
			log,
			onEvent: (e) => seen.push(e.id),
			onAttach,
			onDetach: (r) => detached.push(r)
		});
		s.start();
		await vi.waitFor(() => expect(s.status().connected).toBe(true));
		expect(s.status()).toMatchObject({ attaches: 1 });
		expect(s.status().lastEventAt).not.toBeNull();
		ends();
		await vi.waitFor(() => expect(s.status().attaches).toBe(2)); // after the 250 ms backoff
		expect(detached).toEqual(['event stream ended (daemon restarting?)']);
		expect(seen).toEqual(['c1', 'c2']);
		expect(onAttach).toHaveBeenCalledTimes(2);
		await s.stop();
		expect(detached).toHaveLength(1); // stopping is not a detach
	});

	it('keeps retrying while Docker is down, with the reason, and stop ends the wait at once', async () => {
		const detached: string[] = [];
		const s = createEventStream({
			docker: {
				ping: async () => Promise.reject(new Error('connect ENOENT')),
				streamEvents: async () => {}
			},
			clock: Date.now,
			log,
			onEvent: () => {},
			onAttach: () => {},
			onDetach: (r) => detached.push(r)
		});
		s.start();
		await vi.waitFor(() => expect(detached.length).toBeGreaterThanOrEqual(2));
		expect(detached[0]).toBe('events: connect ENOENT');
		expect(s.status().connected).toBe(false);
		const t0 = Date.now();
		await s.stop();
		expect(Date.now() - t0).toBeLessThan(200); // the backoff (up to 5 s) was aborted
	});

	it('while Docker stays down over a minute, doubles the wait up to a minute, and retryNow ends the wait', async () => {
		vi.useFakeTimers({ now: 0 });
		try {
			const pings: number[] = [];
			let down = true;
			const s = createEventStream({
				docker: {
					ping: async () => {
						pings.push(Date.now());
						if (down) throw new Error('connect ENOENT');
					},
					streamEvents: (_onEvent, signal) =>
						new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }))
				},
				clock: Date.now,
				log,
				onEvent: () => {},
				onAttach: () => {},
				onDetach: () => {}
			});
			s.start();
			await vi.advanceTimersByTimeAsync(3_600_000);
			// 250 ms doubling to 5 s as before for the first minute, then on doubling to 60 s
			const firstMinute = pings.filter((t) => t < 60_000);
			expect(firstMinute.slice(0, 6)).toEqual([0, 250, 750, 1750, 3750, 7750]);
			expect(firstMinute.slice(6).map((t, i) => t - firstMinute[i + 5])).toEqual(
				firstMinute.slice(6).map(() => 5000)
			);
			const after = pings.filter((t) => t >= 60_000);
			expect(after.slice(1, 5).map((t, i) => t - after[i])).toEqual([
				10_000, 20_000, 40_000, 60_000
			]);
			const gaps = pings.slice(1).map((t, i) => t - pings[i]);
			expect(Math.max(...gaps)).toBe(60_000);
			expect(pings.length).toBeLessThan(80); // ~720 at a fixed 5 s
			down = false;
			const n = pings.length;
			s.retryNow();
			await vi.advanceTimersByTimeAsync(0);
			expect(pings).toHaveLength(n + 1);
			expect(s.status()).toMatchObject({ connected: true });
			await s.stop();
		} finally {
			vi.useRealTimers();
		}
	});
});
