import { describe, expect, it } from 'vitest';
import { healthFromStatusText, parseEventLine, toContainerView } from './docker-port';
import { nextSelfTestAt } from './selftest';
import type { RawContainerInspect } from '../docker';

describe('parseEventLine', () => {
	it('reads a real health_status line from the rig dockerd (API 1.41)', () => {
		// captured with: curl --unix-socket docker.sock '/v1.41/events?since=…&until=…&filters={"event":["health_status"]}'
		const line =
			'{"status":"health_status: unhealthy","id":"4154ea41f631295b0468d49c335612e6266ce2072006e4e8e6371ae2c313b5e1","from":"vmw-test/busybox:latest","Type":"container","Action":"health_status: unhealthy","Actor":{"ID":"4154ea41f631295b0468d49c335612e6266ce2072006e4e8e6371ae2c313b5e1","Attributes":{"image":"vmw-test/busybox:latest","name":"wd-mx1xv93k-ca0ac7-herd-5","vmwarden.rig":"test-image","vmwarden.test":"wd-mx1xv93k-ca0ac7"}},"scope":"local","time":1795962820,"timeNano":1795962820748553090}';
		const e = parseEventLine(line)!;
		expect(e.action).toBe('health_status: unhealthy');
		expect(e.id).toBe('4154ea41f631295b0468d49c335612e6266ce2072006e4e8e6371ae2c313b5e1');
		expect(e.name).toBe('wd-mx1xv93k-ca0ac7-herd-5');
		expect(e.attributes['vmwarden.test']).toBe('wd-mx1xv93k-ca0ac7');
		// timeNano / 1e6 = epoch ms with the sub-ms part (float precision: within 1 µs)
		expect(e.at).toBeCloseTo(1795962820748.553, 2);
	});

	it('skips what is not JSON', () => {
		expect(parseEventLine('{"status":')).toBeNull();
	});
});

describe('inspect -> view', () => {
	it('maps state, health log, labels, the check interval (ns -> ms) and the stop timeout', () => {
		const raw = {
			Id: 'abc',
			Name: '/web',
			State: {
				Status: 'running',
				StartedAt: '2026-05-27T09:59:00.5Z',
				Health: {
					Status: 'unhealthy',
					FailingStreak: 3,
					Log: [
						{
							Start: '2026-05-27T09:59:58Z',
							End: '2026-05-27T09:59:58.1Z',
							ExitCode: 1,
							Output: 'refused'
						}
					]
				}
			},
			Config: { Labels: { a: 'b' }, Healthcheck: { Interval: 500_000_000 }, StopTimeout: 30 }
		} as unknown as RawContainerInspect;
		expect(toContainerView(raw)).toEqual({
			id: 'abc',
			name: 'web',
			status: 'running',
			health: 'unhealthy',
			failingStreak: 3,
			healthLog: [
				{
					startedAt: Date.UTC(2026, 4, 27, 9, 59, 58),
					endedAt: Date.UTC(2026, 4, 27, 9, 59, 58, 100),
					exitCode: 1,
					output: 'refused'
				}
			],
			labels: { a: 'b' },
			startedAt: Date.UTC(2026, 4, 27, 9, 59, 0, 500),
			healthIntervalMs: 500,
			stopTimeoutS: 30
		});
	});

	it.each([
		['Up 3 minutes (healthy)', 'healthy'],
		['Up 3 minutes (unhealthy)', 'unhealthy'],
		['Up 1 second (health: starting)', 'starting'],
		['Exited (0) 2 hours ago', 'none']
	])('list status %s -> %s', (text, health) => {
		expect(healthFromStatusText(text)).toBe(health);
	});
});

describe('self-test schedule', () => {
	it('monthly by default: the 1st at 04:00 UTC', () => {
		expect(nextSelfTestAt('0 4 1 * *', Date.UTC(2026, 4, 27, 10, 0))).toBe(
			Date.UTC(2026, 5, 1, 4, 0)
		);
		expect(nextSelfTestAt('0 4 1 * *', Date.UTC(2026, 11, 1, 4, 0))).toBe(
			Date.UTC(2027, 0, 1, 4, 0)
		);
	});
});
