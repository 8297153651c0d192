import { describe, expect, it } from 'vitest';
import { formatDays, formatTrendValue, projectionSentence } from './trends-format';
import type { Projection } from './trends';

const base: Projection = {
	status: 'growing',
	slopePctPerDay: 0.5,
	r2: 1,
	fitFromMs: 0,
	fitToMs: 1,
	fitPoints: 10,
	stepDownAtMs: null,
	targets: [],
	line: []
};

describe('trends display', () => {
	it.each([
		['percent', 47.5, '47.5 %'],
		['bytes', 4 * 1024 ** 3, '4 GiB'],
		['bytes_per_second', 1.5 * 1024 ** 2, '1.5 MiB/s'],
		['count', 2, '2'],
		['load', 0.75, '0.75']
	] as const)('%s %d -> %s', (unit, v, text) => expect(formatTrendValue(unit, v)).toBe(text));

	it('days', () => {
		expect(formatDays(15.004)).toBe('in 15 days');
		expect(formatDays(1.2)).toBe('in 1 day');
		expect(formatDays(0.3)).toBe('in under a day');
		expect(formatDays(0)).toBe('now');
	});

	it('projection sentences', () => {
		const t = (pct: number, days: number | null) => ({
			pct,
			atMs: days === null ? null : days,
			days
		});
		expect(projectionSentence({ ...base, targets: [t(55, 15), t(70, 45), t(100, 105)] })).toBe(
			'estimated to hit 55 % in 15 days'
		);
		expect(projectionSentence({ ...base, targets: [t(55, 0), t(70, 4), t(100, 34)] })).toBe(
			'already above 55 %; estimated to hit 70 % in 4 days'
		);
		expect(projectionSentence({ ...base, status: 'not-growing', targets: [t(55, null)] })).toBe(
			'not growing'
		);
		expect(projectionSentence({ ...base, status: 'too-little-data', stepDownAtMs: 5 })).toBe(
			'too little data since the last cleanup to estimate'
		);
	});
});
