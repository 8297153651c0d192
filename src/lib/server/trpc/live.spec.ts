import { describe, expect, it } from 'vitest';
import { live, liveEvents } from './live';

function source() {
	const listeners = new Set<() => void>();
	let value = 0;
	return {
		listeners,
		set(v: number) {
			value = v;
			for (const fn of listeners) fn();
		},
		subscribe(fn: () => void) {
			listeners.add(fn);
			return () => listeners.delete(fn);
		},
		current: () => value
	};
}

describe('live', () => {
	it('yields the current value at once, then after each change', async () => {
		const src = source();
		const ac = new AbortController();
		const it = live(src, ac.signal);
		expect(await it.next()).toEqual({ value: 0, done: false });
		const next = it.next(); // waits for a change
		src.set(1);
		expect(await next).toEqual({ value: 1, done: false });
		ac.abort();
		await it.return(undefined);
		expect(src.listeners.size).toBe(0);
	});

	it('coalesces changes made while the consumer is busy into the latest value', async () => {
		const src = source();
		const it = live(src, undefined);
		await it.next();
		src.set(1);
		src.set(2);
		src.set(3);
		expect(await it.next()).toEqual({ value: 3, done: false });
		await it.return(undefined);
	});

	it('ends when the signal aborts while waiting, and unsubscribes', async () => {
		const src = source();
		const ac = new AbortController();
		const it = live(src, ac.signal);
		await it.next();
		const pending = it.next();
		ac.abort();
		expect(await pending).toEqual({ value: undefined, done: true });
		expect(src.listeners.size).toBe(0);
	});

	it('with minIntervalMs, a change right after a value waits out the interval, and changes meanwhile coalesce', async () => {
		const src = source();
		const it = live(src, undefined, { minIntervalMs: 150 });
		await it.next();
		const started = Date.now();
		const next = it.next(); // sleeping the interval
		src.set(1);
		src.set(2);
		expect(await next).toEqual({ value: 2, done: false });
		expect(Date.now() - started).toBeGreaterThanOrEqual(140);
		await it.return(undefined);
	});

	it('with refreshMs, sends the value again when nothing changed for that long', async () => {
		const src = source();
		const it = live(src, undefined, { refreshMs: 100 });
		await it.next();
		const started = Date.now();
		expect(await it.next()).toEqual({ value: 0, done: false });
		expect(Date.now() - started).toBeGreaterThanOrEqual(90);
		await it.return(undefined);
	});

	it('ends when the signal aborts during the minimum interval', async () => {
		const src = source();
		const ac = new AbortController();
		const it = live(src, ac.signal, { minIntervalMs: 60_000 });
		await it.next();
		const pending = it.next();
		ac.abort();
		expect(await pending).toEqual({ value: undefined, done: true });
		expect(src.listeners.size).toBe(0);
	});

	it('awaits a value computed asynchronously', async () => {
		const src = source();
		const it = live(
			{ subscribe: src.subscribe, current: async () => `v${src.current()}` },
			undefined
		);
		expect(await it.next()).toEqual({ value: 'v0', done: false });
		await it.return(undefined);
	});
});

describe('liveEvents', () => {
	function events() {
		const listeners = new Set<(e: string) => void>();
		return {
			listeners,
			emit: (e: string) => listeners.forEach((fn) => fn(e)),
			subscribe(fn: (e: string) => void) {
				listeners.add(fn);
				return () => listeners.delete(fn);
			}
		};
	}

	it('yields the backlog, then every event in order (none coalesced), and ends after the last one', async () => {
		const src = events();
		const it = liveEvents(
			{ subscribe: src.subscribe, backlog: () => ['a', 'b'], isLast: (e) => e === 'end' },
			undefined
		);
		expect(await it.next()).toEqual({ value: 'a', done: false });
		src.emit('c'); // while the backlog is being sent: queued after it
		expect(await it.next()).toEqual({ value: 'b', done: false });
		expect(await it.next()).toEqual({ value: 'c', done: false });
		const next = it.next();
		src.emit('d');
		src.emit('end');
		src.emit('after');
		expect(await next).toEqual({ value: 'd', done: false });
		expect(await it.next()).toEqual({ value: 'end', done: false });
		expect(await it.next()).toEqual({ value: undefined, done: true });
		expect(src.listeners.size).toBe(0);
	});

	it('ends with the backlog when the backlog holds the last event', async () => {
		const src = events();
		const got: string[] = [];
		for await (const e of liveEvents(
			{ subscribe: src.subscribe, backlog: () => ['a', 'end'], isLast: (e) => e === 'end' },
			undefined
		))
			got.push(e);
		expect(got).toEqual(['a', 'end']);
		expect(src.listeners.size).toBe(0);
	});

	it('ends when the signal aborts while waiting, and unsubscribes', async () => {
		const src = events();
		const ac = new AbortController();
		const it = liveEvents(
			{ subscribe: src.subscribe, backlog: () => [], isLast: () => false },
			ac.signal
		);
		const pending = it.next();
		ac.abort();
		expect(await pending).toEqual({ value: undefined, done: true });
		expect(src.listeners.size).toBe(0);
	});
});
