import { describe, expect, it } from 'vitest';
import { createThrottle } from './throttle';

describe('login throttle', () => {
	it('counts each attempt before it is evaluated: 5 free, then locked with growing backoff', () => {
		let now = 0;
		const th = createThrottle({ now: () => now });
		// Five attempts started in the same tick (as a batch would): all counted at once.
		const started = Array.from({ length: 5 }, () => th.attempt(['a']));
		// maxConcurrent 1: the others are refused as busy, but counted: the 5th count locks.
		expect(started.map((a) => (a.ok ? 'evaluated' : a.reason))).toEqual([
			'evaluated',
			'busy',
			'busy',
			'busy',
			'busy'
		]);
		expect(th.isLocked('a')).toBe(true);
		// Serially: each one finishes before the next.
		now = 0;
		const th2 = createThrottle({ now: () => now });
		const results: string[] = [];
		for (let i = 0; i < 7; i++) {
			const a = th2.attempt(['a']);
			results.push(a.ok ? 'evaluated' : a.reason);
			if (a.ok) a.done(false);
		}
		expect(results).toEqual([
			'evaluated',
			'evaluated',
			'evaluated',
			'evaluated',
			'evaluated',
			'locked',
			'locked'
		]);
		// The 5th attempt locked for 15 s; the 6th after that locks for 30 s.
		now = 14_999;
		expect(th2.attempt(['a']).ok).toBe(false);
		now = 15_000;
		const sixth = th2.attempt(['a']);
		expect(sixth.ok).toBe(true);
		if (sixth.ok) sixth.done(false);
		now = 15_000 + 29_999;
		expect(th2.attempt(['a'])).toMatchObject({ ok: false, reason: 'locked', retryAfterMs: 1 });
	});

	it('a success resets the key; other keys are independent', () => {
		const th = createThrottle();
		for (let i = 0; i < 3; i++) {
			const a = th.attempt(['a']);
			if (a.ok) a.done(false);
		}
		const good = th.attempt(['a']);
		if (good.ok) good.done(true);
		expect(th.size()).toBe(0);
		expect(th.attempt(['b']).ok).toBe(true);
	});

	it('counts decay: one attempt forgiven per decay period without attempts', () => {
		let now = 0;
		const th = createThrottle({ now: () => now, decayMs: 60_000 });
		for (let i = 0; i < 4; i++) {
			const a = th.attempt(['a']);
			if (a.ok) a.done(false);
		}
		// 4 counted; 3 periods later 1 remains, so 3 more free tries before the 5th count locks.
		now = 180_000;
		const out: boolean[] = [];
		for (let i = 0; i < 5; i++) {
			const a = th.attempt(['a']);
			out.push(a.ok);
			if (a.ok) a.done(false);
		}
		expect(out).toEqual([true, true, true, true, false]);
	});

	it('a flood of new keys evicts idle unlocked entries, never the locked client', () => {
		const now = 0;
		const th = createThrottle({ now: () => now, maxKeys: 100 });
		for (let i = 0; i < 5; i++) {
			const a = th.attempt(['victim-lock']);
			if (a.ok) a.done(false);
		}
		expect(th.isLocked('victim-lock')).toBe(true);
		for (let i = 0; i < 10_000; i++) {
			const a = th.attempt([`flood-${i}`]);
			if (a.ok) a.done(false);
		}
		expect(th.size()).toBe(100);
		expect(th.isLocked('victim-lock')).toBe(true);
		expect(th.attempt(['victim-lock'])).toMatchObject({ ok: false, reason: 'locked' });
	});
});
