import { describe, expect, it } from 'vitest';
import { live } from './live';

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
});
