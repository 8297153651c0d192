import { describe, expect, it } from 'vitest';
import type { HostSummary, OverviewRow } from './server/hub/types';
import {
	formatAgo,
	formatCleanup,
	formatDaysToFull,
	formatProjection,
	rowView,
	sortOverview,
	statusByHost
} from './overview';

const T = Date.UTC(2026, 10, 29, 12, 0, 0);

function summary(hostId: string, over: Partial<HostSummary> = {}): HostSummary {
	return {
		hostId,
		at: T,
		score: { value: 90, status: 'OK', reasons: [] },
		dimensions: [{ name: 'disk', status: 'OK', detail: '/ 40 %' }],
		unhealthy: [],
		diskProjection: { mount: '/', usedPct: 40, daysToFull: 120 },
		lastCleanup: { at: T - 3_600_000, freedBytes: 2 * 1024 ** 3, ok: true },
		status: 'OK',
		...over
	};
}
const ok = (hostId: string, over: Partial<HostSummary> = {}, name = hostId): OverviewRow => ({
	hostId,
	name,
	kind: 'vmwarden',
	state: 'ok',
	data: summary(hostId, over),
	at: T
});
const down = (hostId: string, lastGood: HostSummary | null): OverviewRow => ({
	hostId,
	name: hostId,
	kind: 'vmwarden',
	state: 'unavailable',
	reason: 'connect ECONNREFUSED 127.0.0.1:9',
	lastGood,
	lastGoodAt: lastGood?.at ?? null,
	at: T
});

describe('sortOverview', () => {
	it('puts the worst first: unavailable, then CRIT, WARN, UNKNOWN, OK; within a status the lower score first', () => {
		const rows: OverviewRow[] = [
			ok('ok-90'),
			ok('warn-70', { status: 'WARN', score: { value: 70, status: 'WARN', reasons: [] } }),
			ok('ok-60', { score: { value: 60, status: 'OK', reasons: [] } }),
			down('dead', summary('dead')),
			ok('crit', { status: 'CRIT', score: { value: 30, status: 'CRIT', reasons: ['disk'] } }),
			ok('unknown', { status: 'UNKNOWN', score: null }),
			ok('warn-50', { status: 'WARN', score: { value: 50, status: 'WARN', reasons: [] } })
		];
		expect(sortOverview(rows).map((r) => r.hostId)).toEqual([
			'dead',
			'crit',
			'warn-50',
			'warn-70',
			'unknown',
			'ok-60',
			'ok-90'
		]);
	});

	it('no score (a bare Docker host) sorts after a scored host of the same status; then more unhealthy first, then name', () => {
		const rows: OverviewRow[] = [
			ok('b', { score: null }, 'Bravo'),
			ok('a', { score: null }, 'Alpha'),
			ok('c', { score: null, unhealthy: [{ name: 'web', since: null }] }, 'Charlie'),
			ok('s', {}, 'Scored')
		];
		expect(sortOverview(rows).map((r) => r.hostId)).toEqual(['s', 'c', 'a', 'b']);
	});
});

describe('rowView', () => {
	it('an unavailable host keeps its last good summary and time, with the reason, and an UNKNOWN dot', () => {
		const last = summary('vm2', { at: T - 90_000, status: 'WARN' });
		expect(rowView(down('vm2', last))).toMatchObject({
			available: false,
			summary: last,
			reason: 'connect ECONNREFUSED 127.0.0.1:9',
			dataAt: T - 90_000,
			status: 'UNKNOWN'
		});
	});

	it('an unavailable host that never answered has no data and no time', () => {
		expect(rowView(down('vm3', null))).toMatchObject({
			available: false,
			summary: null,
			dataAt: null
		});
	});

	it('statusByHost', () => {
		expect(statusByHost([ok('a', { status: 'WARN' }), down('b', null)])).toEqual({
			a: 'WARN',
			b: 'UNKNOWN'
		});
	});
});

describe('formatting', () => {
	it.each([
		[null, 'not filling'],
		[0.4, 'full within a day'],
		[1.5, 'full in 1 day'],
		[12.9, 'full in 12 days']
	] as const)('days to full %s → %s', (d, text) => expect(formatDaysToFull(d)).toBe(text));

	it('projection and cleanup', () => {
		expect(formatProjection({ mount: '/var', usedPct: 81.25, daysToFull: 6.2 })).toBe(
			'/var 81.3 % · full in 6 days'
		);
		expect(formatProjection(null)).toBe('no projection');
		// 2 GiB freed one hour before T
		expect(formatCleanup({ at: T - 3_600_000, freedBytes: 2 * 1024 ** 3, ok: true }, T)).toBe(
			'1 h ago, freed 2 GiB'
		);
		expect(formatCleanup({ at: T - 2 * 86_400_000 - 1, freedBytes: 0, ok: false }, T)).toBe(
			'2 d ago, failed'
		);
		expect(formatCleanup(null, T)).toBe('none recorded');
	});

	it.each([
		[59_999, 'just now'],
		[60_000, '1 min ago'],
		[3_599_999, '59 min ago'],
		[3_600_000, '1 h ago'],
		[86_400_000, '1 d ago']
	])('ago %d → %s', (ms, text) => expect(formatAgo(ms)).toBe(text));
});
