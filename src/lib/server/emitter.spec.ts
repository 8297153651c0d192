import { describe, expect, it, vi } from 'vitest';
import { createEmitter } from './emitter';
import type { Logger } from './log';

const fakeLog = () =>
	({ debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }) satisfies Logger;

describe('createEmitter', () => {
	it('calls every listener with the value, in subscription order', () => {
		const e = createEmitter<number>({ log: fakeLog(), what: 'test listener' });
		const seen: string[] = [];
		e.on((v) => seen.push(`a${v}`));
		e.on((v) => seen.push(`b${v}`));
		e.emit(1);
		e.emit(2);
		expect(seen).toEqual(['a1', 'b1', 'a2', 'b2']);
	});

	it('logs a throwing listener and still calls the ones after it', () => {
		const log = fakeLog();
		const e = createEmitter<string>({ log, what: 'sample subscriber' });
		const after = vi.fn();
		e.on(() => {
			throw new Error('boom');
		});
		e.on(after);
		expect(() => e.emit('x')).not.toThrow();
		expect(after).toHaveBeenCalledWith('x');
		expect(log.error).toHaveBeenCalledTimes(1);
		expect(log.error.mock.calls[0][0]).toBe('sample subscriber threw');
		expect((log.error.mock.calls[0][1] as { err: Error }).err.message).toBe('boom');
	});

	it('returns an unsubscribe that removes the listener once (true), then reports false', () => {
		const e = createEmitter({ log: fakeLog(), what: 'x' });
		const fn = vi.fn();
		const off = e.on(fn);
		e.emit();
		expect(off()).toBe(true);
		expect(off()).toBe(false);
		e.emit();
		expect(fn).toHaveBeenCalledTimes(1);
		expect(e.size).toBe(0);
	});

	it('counts one listener once however often it subscribes, like the Sets it replaces', () => {
		const e = createEmitter({ log: fakeLog(), what: 'x' });
		const fn = vi.fn();
		e.on(fn);
		e.on(fn);
		expect(e.size).toBe(1);
		e.emit();
		expect(fn).toHaveBeenCalledTimes(1);
	});

	it('a listener that unsubscribes another during emit: that one is not called', () => {
		const e = createEmitter({ log: fakeLog(), what: 'x' });
		const second = vi.fn();
		let offSecond = () => false;
		e.on(() => void offSecond());
		offSecond = e.on(second);
		e.emit();
		expect(second).not.toHaveBeenCalled();
	});

	it('clear drops every listener', () => {
		const e = createEmitter({ log: fakeLog(), what: 'x' });
		const fn = vi.fn();
		e.on(fn);
		e.clear();
		e.emit();
		expect(fn).not.toHaveBeenCalled();
		expect(e.size).toBe(0);
	});
});
