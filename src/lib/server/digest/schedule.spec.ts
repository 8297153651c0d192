import { describe, expect, it } from 'vitest';
import { dueSlot, latestSlot, zonedToUtc } from './schedule';

const H = 3_600_000;
const MON = { tz: 'UTC', weekday: 1, hour: 8 };
// 2026-11-30 is a Monday
const MON8 = Date.UTC(2026, 10, 30, 8, 0);

describe('weekly digest slot', () => {
	it('fires once at Monday 08:00 UTC, minute by minute through the week', () => {
		let last: string | null = null;
		const fired: string[] = [];
		// a fake clock from Sunday 08:00 to the next Tuesday 08:00, every 5 minutes
		for (let now = MON8 - 24 * H; now <= MON8 + 8 * 24 * H; now += 5 * 60_000) {
			const due = dueSlot({ ...MON, now, lastKey: last });
			if (due) {
				fired.push(`${new Date(now).toISOString()} ${due.key}`);
				last = due.key;
			}
		}
		expect(fired).toEqual([
			'2026-11-30T08:00:00.000Z 2026-11-30',
			'2026-12-07T08:00:00.000Z 2026-12-07'
		]);
	});

	it('catches up after a restart within 24 h, never after', () => {
		// the app was down at 08:00 and starts at 14:30: sent, once
		expect(dueSlot({ ...MON, now: MON8 + 6.5 * H, lastKey: '2026-11-23' })).toEqual({
			at: MON8,
			key: '2026-11-30'
		});
		expect(dueSlot({ ...MON, now: MON8 + 6.5 * H, lastKey: '2026-11-30' })).toBeNull();
		// starts Tuesday 08:00 (24 h later): too late for this week
		expect(dueSlot({ ...MON, now: MON8 + 24 * H, lastKey: '2026-11-23' })).toBeNull();
		expect(dueSlot({ ...MON, now: MON8 - 1, lastKey: '2026-11-16' })).toBeNull(); // last week's slot is 7 days old
	});

	it('honours a configured time zone, across a DST change', () => {
		// Europe/Berlin is UTC+1 in winter: Monday 08:00 local = 07:00 UTC
		expect(latestSlot({ now: MON8, tz: 'Europe/Berlin', weekday: 1, hour: 8 })).toEqual({
			at: Date.UTC(2026, 10, 30, 7),
			key: '2026-11-30'
		});
		// summer (2026-06-01, Monday): UTC+2 → 06:00 UTC
		expect(zonedToUtc({ y: 2026, m: 6, d: 1, h: 8, min: 0 }, 'Europe/Berlin')).toBe(
			Date.UTC(2026, 5, 1, 6)
		);
		// America/New_York, Monday 08:00 EST = 13:00 UTC; at 12:59 UTC the latest slot is last week's
		expect(
			latestSlot({
				now: Date.UTC(2026, 10, 30, 12, 59),
				tz: 'America/New_York',
				weekday: 1,
				hour: 8
			}).key
		).toBe('2026-11-23');
	});

	it('daily slot: every day at 07:00', () => {
		expect(
			latestSlot({ now: Date.UTC(2026, 11, 2, 6, 59), tz: 'UTC', weekday: null, hour: 7 })
		).toEqual({ at: Date.UTC(2026, 11, 1, 7), key: '2026-12-01' });
		expect(
			dueSlot({
				now: Date.UTC(2026, 11, 2, 7, 0),
				tz: 'UTC',
				weekday: null,
				hour: 7,
				lastKey: '2026-12-01'
			})
		).toEqual({ at: Date.UTC(2026, 11, 2, 7), key: '2026-12-02' });
	});
});
