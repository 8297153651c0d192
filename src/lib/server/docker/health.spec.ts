import { describe, expect, it } from 'vitest';
import { conditionOf, failingStreakStart } from './health';

const r = (start: number, exitCode: number) => ({ start, end: start + 1, exitCode, output: '' });

describe('failingStreakStart', () => {
	it('the oldest failing result after the last success; exact', () => {
		expect(failingStreakStart([r(1, 0), r(2, 0), r(3, 1), r(4, 1), r(5, 1)], 3)).toEqual({
			since: 3,
			exact: true
		});
	});
	it('every kept result failing and a longer streak: at or before the oldest kept', () => {
		expect(failingStreakStart([r(1, 1), r(2, 1), r(3, 1), r(4, 1), r(5, 1)], 40)).toEqual({
			since: 1,
			exact: false
		});
	});
	it('every kept result failing and the streak equal to them: exact', () => {
		expect(failingStreakStart([r(1, 1), r(2, 1)], 2)).toEqual({ since: 1, exact: true });
	});
	it('last check passed or no log: no streak', () => {
		expect(failingStreakStart([r(1, 1), r(2, 0)], 0)).toEqual({ since: null, exact: false });
		expect(failingStreakStart([], 0)).toEqual({ since: null, exact: false });
	});
});

describe('conditionOf', () => {
	it.each([
		['running', 'unhealthy', 'unhealthy'],
		['running', 'healthy', 'healthy'],
		['running', 'starting', 'starting'],
		['running', null, 'running'],
		['exited', 'unhealthy', 'exited'], // exited-but-unhealthy is exited, not failing checks
		['paused', 'unhealthy', 'paused'],
		['restarting', 'unhealthy', 'restarting'],
		['created', null, 'created'],
		['dead', null, 'dead'],
		['removing', 'healthy', 'removing']
	] as const)('%s + %s -> %s', (state, health, condition) =>
		expect(conditionOf({ state, health })).toBe(condition)
	);
});
