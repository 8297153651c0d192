import { describe, expect, it } from 'vitest';
import type { TrendAnswer } from '$lib/trends';
import type { HealthSnapshot } from '$lib/health';
import { cronParts, diskProjectionOf, scoreStatus } from './summary';
import type { CronStatus } from '../maintenance/status';

const DAY = 86_400_000;

const snapshot = (disks: { mount: string; usedPct: number }[]) =>
	({
		disks: disks.map((d) => ({
			mount: d.mount,
			ok: true,
			status: 'OK',
			totalBytes: 100,
			usedBytes: d.usedPct,
			availBytes: 100 - d.usedPct,
			usedPct: d.usedPct
		}))
	}) as unknown as HealthSnapshot;

const trend = (
	projections: Record<string, { status: 'growing' | 'not-growing'; fullAt: number | null }>
): TrendAnswer =>
	({
		state: 'ok',
		at: 0,
		data: {
			series: [],
			noData: null,
			projections: Object.fromEntries(
				Object.entries(projections).map(([m, p]) => [
					m,
					{
						status: p.status,
						slopePctPerDay: 1,
						r2: 1,
						fitFromMs: 0,
						fitToMs: 0,
						fitPoints: 10,
						stepDownAtMs: null,
						line: [],
						targets: [
							{ pct: 70, atMs: null, days: null },
							{ pct: 100, atMs: p.fullAt, days: null }
						]
					}
				])
			)
		}
	}) as unknown as TrendAnswer;

describe('summary parts', () => {
	it('projects the fullest mount: days from now to its 100 % point, one decimal', () => {
		const now = 1_000 * DAY;
		const s = snapshot([
			{ mount: '/', usedPct: 40 },
			{ mount: '/var/lib/docker', usedPct: 62.5 }
		]);
		expect(
			diskProjectionOf(
				s,
				trend({
					'/var/lib/docker': { status: 'growing', fullAt: now + 12.345 * DAY },
					'/': { status: 'growing', fullAt: now + DAY }
				}),
				now
			)
		).toEqual({ mount: '/var/lib/docker', usedPct: 62.5, daysToFull: 12.3 });
		expect(
			diskProjectionOf(
				s,
				trend({ '/var/lib/docker': { status: 'not-growing', fullAt: null } }),
				now
			)
		).toEqual({ mount: '/var/lib/docker', usedPct: 62.5, daysToFull: null });
		expect(diskProjectionOf(s, null, now)).toEqual({
			mount: '/var/lib/docker',
			usedPct: 62.5,
			daysToFull: null
		});
		expect(diskProjectionOf(snapshot([]), null, now)).toBeNull();
	});

	it('cron: failed or missed enabled jobs warn; the last real cleanup and what it freed', () => {
		const job = (name: string, state: string, enabled = true) => ({ name, state, enabled });
		const status = {
			jobs: [job('cleanup', 'ok'), job('backup', 'missed'), job('old', 'failed', false)],
			lastCleanup: {
				id: 'r1',
				start: '2026-11-28T03:00:00.000Z',
				mode: 'safe',
				status: 'ok',
				freedBytes: 1234,
				dryRun: false,
				source: 'cron'
			}
		} as unknown as CronStatus;
		expect(cronParts(status)).toEqual({
			dimension: { name: 'cron', status: 'WARN', detail: 'backup missed' },
			lastCleanup: { at: Date.parse('2026-11-28T03:00:00.000Z'), freedBytes: 1234, ok: true }
		});
		expect(cronParts({ jobs: [], lastCleanup: null } as unknown as CronStatus)).toEqual({
			dimension: null,
			lastCleanup: null
		});
		expect(cronParts({ error: 'EACCES /var/log' })).toEqual({
			dimension: {
				name: 'cron',
				status: 'UNKNOWN',
				detail: 'maintenance status unreadable: EACCES /var/log'
			},
			lastCleanup: null
		});
	});

	it('score bands as the gauge draws them', () => {
		expect([
			scoreStatus(80),
			scoreStatus(79.9),
			scoreStatus(60),
			scoreStatus(59),
			scoreStatus(null)
		]).toEqual(['OK', 'WARN', 'WARN', 'CRIT', 'UNKNOWN']);
	});
});
