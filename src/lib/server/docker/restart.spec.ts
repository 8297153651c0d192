import { describe, expect, it } from 'vitest';
import { stopTimeoutOf } from './restart';

const inspect = (labels: Record<string, string> | null, stopTimeout?: number | null) =>
	({
		Config: { Labels: labels, ...(stopTimeout === undefined ? {} : { StopTimeout: stopTimeout }) }
	}) as never;

describe('stopTimeoutOf', () => {
	it.each([
		['nothing set: Docker’s default', inspect({}), 10],
		['Config.StopTimeout (compose stop_grace_period: 30s)', inspect({}, 30), 30],
		['StopTimeout 0 (stop at once)', inspect({}, 0), 0],
		['the label wins over StopTimeout', inspect({ 'vmwarden.stop-timeout': '45' }, 30), 45],
		['a label with spaces', inspect({ 'vmwarden.stop-timeout': ' 20 ' }), 20],
		['a bad label falls back to StopTimeout', inspect({ 'vmwarden.stop-timeout': '30s' }, 15), 15],
		['a negative label is ignored', inspect({ 'vmwarden.stop-timeout': '-1' }), 10],
		['over an hour is ignored', inspect({ 'vmwarden.stop-timeout': '9999' }), 10],
		['null labels', inspect(null), 10],
		['a null StopTimeout', inspect({}, null), 10]
	])('%s', (_, raw, expected) => {
		expect(stopTimeoutOf(raw)).toBe(expected);
	});
});
