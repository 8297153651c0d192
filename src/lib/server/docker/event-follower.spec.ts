// The shared event follower over a fake GET /events: each call hands out a stream the spec writes
// Docker's lines into and ends (a cut connection), and records what it was asked (since, filters).
// Times are nanosecond strings as Docker writes them: 1796700000123456789 is past a double's
// integer precision, so two events 100 ns apart parse to the same number.
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DockerUnavailableError } from './api';
import {
	createDockerEventFollower,
	eventTimeNs,
	sinceParam,
	type DockerEventConsumer,
	type DockerEventLine
} from './event-follower';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const T = 1796700000123456789n;

function fakeDocker() {
	const calls: {
		since?: string;
		filters?: Record<string, string[]>;
		stream: PassThrough;
		signal: AbortSignal;
	}[] = [];
	let failNext = 0;
	return {
		calls,
		failNext(n: number) {
			failNext = n;
		},
		api: {
			async events(o: { signal: AbortSignal; filters?: Record<string, string[]>; since?: string }) {
				if (failNext > 0) {
					failNext--;
					throw new Error('connect ENOENT /run/docker.sock');
				}
				const stream = new PassThrough();
				o.signal.addEventListener('abort', () => stream.destroy(), { once: true });
				calls.push({ since: o.since, filters: o.filters, stream, signal: o.signal });
				return stream;
			}
		}
	};
}

/** One event line as Docker writes it (timeNano last, unquoted). */
const line = (action: string, id: string, ns: bigint, attrs: Record<string, string> = {}) =>
	`{"status":"${action}","id":"${id}","Type":"container","Action":"${action}","Actor":{"ID":"${id}","Attributes":${JSON.stringify(attrs)}},"scope":"local","time":${ns / 1_000_000_000n},"timeNano":${ns}}\n`;

function recorder(what: string, events: string[], extra: Partial<DockerEventConsumer> = {}) {
	const seen: string[] = [];
	const consumer: DockerEventConsumer = {
		what,
		events,
		async onEvent(e: DockerEventLine) {
			seen.push(`${e.Action} ${e.Actor?.ID}`);
		},
		...extra
	};
	return { consumer, seen };
}

const until = async (check: () => boolean, what: string) => {
	for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
	if (!check()) throw new Error(`timed out waiting for ${what}`);
};

describe('sinceParam / eventTimeNs', () => {
	it('writes Docker\'s "seconds.nanos" and reads timeNano exactly from the line', () => {
		expect(sinceParam(T)).toBe('1796700000.123456789');
		expect(sinceParam(1796700000000000005n)).toBe('1796700000.000000005');
		const l = line('die', 'abc', T + 100n, { timeNano: '7' }).trim();
		// the label named timeNano is a string value: not the event's time
		expect(eventTimeNs(l, JSON.parse(l))).toBe(T + 100n);
		expect(Number(T) === Number(T + 100n)).toBe(true); // why it is read from the line
		expect(eventTimeNs('{"time":1796700000}', { time: 1796700000 })).toBe(1796700000000000000n);
		expect(eventTimeNs('{}', {})).toBeNull();
	});
});

describe('Docker event follower', () => {
	it('one stream for two consumers: the union of their events, each gets the ones it asked for, in order', async () => {
		const docker = fakeDocker();
		const f = createDockerEventFollower({
			api: docker.api,
			labels: ['vmwarden.scope'],
			what: 'events',
			log: quiet
		});
		const exits = recorder('exit recorder', ['die', 'start']);
		const deploys = recorder('deploy recorder', ['create', 'start']);
		f.subscribe(exits.consumer);
		f.subscribe(deploys.consumer);
		f.start();
		await until(() => f.connected, 'attach');
		expect(docker.calls).toHaveLength(1);
		expect(docker.calls[0].filters).toEqual({
			type: ['container'],
			event: ['die', 'start', 'create'],
			label: ['vmwarden.scope']
		});
		// nobody asked to replay: the first attach is live only
		expect(docker.calls[0].since).toBeUndefined();
		const s = docker.calls[0].stream;
		// a chunk boundary inside a line, and two lines in one chunk
		const text =
			line('create', 'web2', T) + line('start', 'web2', T + 1000n) + line('die', 'web1', T + 2000n);
		s.write(text.slice(0, 50));
		s.write(text.slice(50));
		await until(() => exits.seen.length === 2 && deploys.seen.length === 2, 'events');
		expect(deploys.seen).toEqual(['create web2', 'start web2']);
		expect(exits.seen).toEqual(['start web2', 'die web1']);
		expect(() => f.subscribe(recorder('late', ['die']).consumer)).toThrow(/before start/);
		await f.stop();
		expect(docker.calls).toHaveLength(1);
	});

	it('re-attaches with since = the newest event seen less the overlap, and hands a replayed event over once', async () => {
		const docker = fakeDocker();
		const f = createDockerEventFollower({
			api: docker.api,
			what: 'events',
			retryMs: 5,
			overlapMs: 1000,
			// the stream attached a minute before the events at T: with the real clock, an attach made
			// after T (any run after T's date) asks from its own start, later than the events here
			now: () => Number(T / 1_000_000n) - 60_000,
			log: quiet
		});
		// where each attach's replay starts, handed to the consumer before its events (the exit
		// recorder reconciles from container state from there)
		const attachedFrom: (number | null)[] = [];
		const exits = recorder('exit recorder', ['die', 'start'], {
			onAttached: async ({ sinceMs }) => void attachedFrom.push(sinceMs)
		});
		f.subscribe(exits.consumer);
		f.start();
		await until(() => f.connected, 'attach');
		const first = docker.calls[0].stream;
		// two exits 100 ns apart (one double), then the stream is cut
		first.write(line('die', 'a', T) + line('die', 'b', T + 100n));
		await until(() => exits.seen.length === 2, 'the first two');
		first.end();
		await until(() => docker.calls.length === 2 && f.connected, 're-attach');
		// one second before the newest: Docker stamps an event before the lock that orders them
		expect(docker.calls[1].since).toBe(sinceParam(T + 100n - 1_000_000_000n));
		// no replay asked on the first attach (no resumeFrom); the re-attach's in ms
		expect(attachedFrom).toEqual([null, Number((T + 100n - 1_000_000_000n) / 1_000_000n)]);
		// Docker replays what it holds from then on: both seen, then an event Docker had stamped
		// before `b` but sent after it, and the exit while the stream was down
		docker.calls[1].stream.write(
			line('die', 'a', T) +
				line('die', 'b', T + 100n) +
				line('die', 'late', T + 50n) +
				line('die', 'gap', T + 3_000_000_000n)
		);
		await until(() => exits.seen.length === 4, 'the replay');
		await new Promise((r) => setTimeout(r, 20));
		expect(exits.seen).toEqual(['die a', 'die b', 'die late', 'die gap']);
		expect(f.status()).toMatchObject({ skippedReplays: 2, attaches: 2 });
		// the next re-attach asks from the newest event now
		expect(f.status().since).toBe(sinceParam(T + 3_000_000_000n - 1_000_000_000n));
		await f.stop();
	});

	it('with no event seen, a re-attach asks from the first attach; Docker down in between changes nothing', async () => {
		let t = 1_796_700_000_000;
		const docker = fakeDocker();
		const f = createDockerEventFollower({
			api: docker.api,
			what: 'events',
			retryMs: 2,
			overlapMs: 1000,
			now: () => t,
			log: quiet
		});
		f.subscribe(recorder('exit recorder', ['die']).consumer);
		f.start();
		await until(() => f.connected, 'attach');
		t += 600_000;
		docker.failNext(3);
		docker.calls[0].stream.end();
		await until(() => docker.calls.length === 2 && f.connected, 're-attach');
		expect(docker.calls[1].since).toBe('1796699999.000000000');
		await f.stop();
	});

	it('the first attach replays from the earliest position a consumer asks for, at most maxReplayMs back', async () => {
		const now = 1_796_700_000_000;
		const since = async (resume: (number | null)[], maxReplayMs = 3_600_000) => {
			const docker = fakeDocker();
			const f = createDockerEventFollower({
				api: docker.api,
				what: 'events',
				maxReplayMs,
				now: () => now,
				log: quiet
			});
			for (const r of resume)
				f.subscribe(recorder('r', ['die'], { resumeFrom: async () => r }).consumer);
			f.subscribe(recorder('no position', ['create']).consumer);
			f.start();
			await until(() => f.connected, 'attach');
			await f.stop();
			return docker.calls[0].since;
		};
		// the newest exit stored 10 minutes ago (and another consumer's 5): from 10 minutes ago
		expect(await since([now - 600_000, now - 300_000])).toBe('1796699400.000000000');
		// a week ago, or nothing stored: an hour back at most
		expect(await since([now - 7 * 86_400_000])).toBe('1796696400.000000000');
		expect(await since([null])).toBe('1796696400.000000000');
		// a position ahead of this clock (another host's): from now
		expect(await since([now + 60_000])).toBe('1796700000.000000000');
	});

	it('a consumer whose onAttached fails closes that attach and retries; the other consumer loses nothing', async () => {
		const docker = fakeDocker();
		const f = createDockerEventFollower({
			api: docker.api,
			what: 'events',
			retryMs: 2,
			log: quiet
		});
		let listings = 0;
		const deploys = recorder('deploy recorder', ['create'], {
			async onAttached() {
				if (++listings === 1) throw new Error('listContainers: no answer within 5000 ms');
			}
		});
		const exits = recorder('exit recorder', ['die']);
		f.subscribe(deploys.consumer);
		f.subscribe(exits.consumer);
		f.start();
		await until(() => f.connected, 'attach');
		expect(docker.calls).toHaveLength(2);
		// the failed attach's stream was closed, not left open beside the new one
		expect(docker.calls[0].signal.aborted).toBe(true);
		expect(docker.calls[0].stream.destroyed).toBe(true);
		expect(docker.calls[1].signal.aborted).toBe(false);
		docker.calls[1].stream.write(line('die', 'x', T));
		await until(() => exits.seen.length === 1, 'the exit');
		await f.stop();
		expect(docker.calls[1].signal.aborted).toBe(true);
	});

	it('one event a consumer fails on is skipped for that consumer only', async () => {
		const docker = fakeDocker();
		const f = createDockerEventFollower({ api: docker.api, what: 'events', log: quiet });
		const deploys = recorder('deploy recorder', ['start'], {
			async onEvent() {
				throw new Error('container abc is gone');
			}
		});
		const exits = recorder('exit recorder', ['start']);
		f.subscribe(deploys.consumer);
		f.subscribe(exits.consumer);
		f.start();
		await until(() => f.connected, 'attach');
		docker.calls[0].stream.write('not json\n' + line('start', 'a', T) + line('start', 'b', T + 1n));
		await until(() => exits.seen.length === 2, 'both');
		expect(f.connected).toBe(true);
		await f.stop();
	});
});

// While Docker is unreachable (issue 24): the re-attach attempts grow apart with the outage, and
// `retryNow` (Docker seen again by the adapter) ends the wait. The clock is vitest's, driven over
// an hour.
function unreachableDocker() {
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
		const docker = unreachableDocker();
		const f = createDockerEventFollower({ api: docker.api, what: 'test follower', log: quiet });
		f.subscribe({ what: 'test', events: ['start'], onEvent: async () => {} });
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
		const docker = unreachableDocker();
		const attached = vi.fn(async () => {});
		const f = createDockerEventFollower({ api: docker.api, what: 'test follower', log: quiet });
		f.subscribe({ what: 'test', events: ['start'], onAttached: attached, onEvent: async () => {} });
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
