import { describe, expect, it } from 'vitest';
import { findContainer, healthFromStatus, toContainerInfo } from './model';
import type { RawContainerInspect } from './api';

const inspect = (
	over: Partial<RawContainerInspect['State']> = {},
	extra: Record<string, unknown> = {}
) =>
	({
		Id: 'a'.repeat(64),
		Name: '/shop-web-1',
		Created: '2026-11-01T10:00:00.000Z',
		Image: 'sha256:abc',
		RestartCount: 2,
		State: {
			Status: 'running',
			Running: true,
			Paused: false,
			Restarting: false,
			OOMKilled: false,
			Dead: false,
			Pid: 4242,
			ExitCode: 0,
			Error: '',
			StartedAt: '2026-11-01T10:00:01.000Z',
			FinishedAt: '0001-01-01T00:00:00Z',
			...over
		},
		Config: {
			Image: 'shop/web:1.2',
			Labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' }
		},
		HostConfig: { Memory: 0, CgroupParent: '' },
		...extra
	}) as unknown as RawContainerInspect;

describe('toContainerInfo', () => {
	it('maps state, compose labels, times, no memory limit and no health check', () => {
		const c = toContainerInfo(null, inspect(), 1);
		expect(c).toMatchObject({
			name: 'shop-web-1',
			image: 'shop/web:1.2',
			state: 'running',
			health: null,
			stack: 'shop',
			service: 'web',
			restartCount: 2,
			memoryLimitBytes: null,
			pid: 4242,
			exitCode: null,
			finishedAt: null
		});
		expect(c.startedAt).toBe(Date.parse('2026-11-01T10:00:01.000Z'));
	});

	it('an exited container keeps its last health status and exit code', () => {
		const c = toContainerInfo(
			null,
			inspect({
				Status: 'exited',
				Running: false,
				ExitCode: 137,
				Health: {
					Status: 'unhealthy',
					FailingStreak: 0,
					Log: [
						{
							Start: '2026-11-01T10:05:00Z',
							End: '2026-11-01T10:05:01Z',
							ExitCode: 1,
							Output: 'boom'
						}
					]
				}
			}),
			1
		);
		expect(c).toMatchObject({
			state: 'exited',
			health: 'unhealthy',
			failingStreak: 0,
			exitCode: 137
		});
		expect(c.healthLog).toEqual([
			{
				start: Date.parse('2026-11-01T10:05:00Z'),
				end: Date.parse('2026-11-01T10:05:01Z'),
				exitCode: 1,
				output: 'boom'
			}
		]);
	});

	it.each([
		// [Config.Healthcheck, health, interval]: Docker's interval is in ns, 0 or unset is its 30 s
		[{ Test: ['CMD-SHELL', 'true'], Interval: 10_000_000_000 }, 'healthy', 10_000],
		[{ Test: ['CMD-SHELL', 'true'] }, 'starting', 30_000],
		[undefined, undefined, null]
	])('health check interval: %j -> %s', (healthcheck, status, interval) => {
		const c = toContainerInfo(
			null,
			inspect(status ? { Health: { Status: status, FailingStreak: 0, Log: [] } } : {}, {
				Config: { Image: 'shop/web:1.2', Labels: {}, Healthcheck: healthcheck }
			}),
			1
		);
		expect(c.healthIntervalMs).toBe(interval);
	});

	it('the list entry wins for state and status; an unknown state reads as dead', () => {
		const c = toContainerInfo(
			{ State: 'paused', Status: 'Up 2 hours (Paused)' } as never,
			inspect(),
			1
		);
		expect(c).toMatchObject({ state: 'paused', status: 'Up 2 hours (Paused)' });
		expect(toContainerInfo({ State: 'weird', Status: '' } as never, inspect(), 1).state).toBe(
			'dead'
		);
	});
});

describe('healthFromStatus', () => {
	it.each([
		['Up 3 hours (unhealthy)', 'unhealthy'],
		['Up 3 hours (healthy)', 'healthy'],
		['Up 2 seconds (health: starting)', 'starting'],
		['Up 3 hours', null],
		['Exited (1) 2 minutes ago', null]
	])('%s -> %s', (status, health) => expect(healthFromStatus(status)).toBe(health));
});

describe('findContainer', () => {
	const list = [
		{ id: 'abcdef0123456789' + '0'.repeat(48), name: 'web.1_x' },
		{ id: 'abcdef0123459999' + '0'.repeat(48), name: 'db' }
	];
	it('matches an exact name (with or without the leading slash) or a unique id prefix of 12+', () => {
		expect(findContainer(list, 'web.1_x')).toBe(list[0]);
		expect(findContainer(list, '/db')).toBe(list[1]);
		expect(findContainer(list, 'abcdef01234567')).toBe(list[0]);
	});
	it.each([
		['abcdef012345'],
		['abcdef'],
		['web'],
		['../images/json'],
		['t1;id'],
		['$(reboot)'],
		['x'.repeat(10_000)],
		['']
	])('nothing for %s', (ref) => {
		// 'abcdef012345' is a prefix of both ids: ambiguous, so no match
		expect(findContainer(list, ref)).toBeNull();
	});
});
