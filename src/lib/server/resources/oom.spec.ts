import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { oomKillsOf, parseOomKillCount } from './oom';

describe('OOM kills', () => {
	it('reads oom_kill from the captured memory.events (tests/fixtures/cgroup-v2: "oom_kill 1")', () => {
		expect(parseOomKillCount(readFileSync('tests/fixtures/cgroup-v2/memory.events', 'utf8'))).toBe(
			1
		);
		// v1 memory.oom_control
		expect(parseOomKillCount('oom_kill_disable 0\nunder_oom 0\noom_kill 3\n')).toBe(3);
		expect(parseOomKillCount('low 0\nhigh 0\n')).toBeNull();
	});

	const c = {
		name: 'shop-web-1',
		stack: 'shop',
		service: 'web',
		oomKilled: false,
		finishedAt: null,
		startedAt: 1_000,
		restart: 0
	};
	const ev = (at: number, target: string | null, watchdogKey: string | null) => ({
		at,
		target,
		watchdogKey
	});

	it('matches watchdog records by name or compose key, not another service', () => {
		const kills = oomKillsOf(
			c,
			[
				ev(2_000, 'shop-web-1', null),
				ev(3_000, 'renamed', 'compose:shop/web/2'),
				ev(4_000, 'x', 'compose:shop/webx/1'),
				ev(5_000, 'other', 'name:other')
			],
			null,
			10_000
		);
		expect(kills).toEqual([
			{ at: 2_000, source: 'docker-event' },
			{ at: 3_000, source: 'docker-event' }
		]);
	});

	it('the inspect flag counts once, unless an event is within a minute of FinishedAt', () => {
		const dead = { ...c, oomKilled: true, finishedAt: 100_000 };
		expect(oomKillsOf(dead, [], null, 200_000)).toEqual([{ at: 100_000, source: 'inspect' }]);
		expect(oomKillsOf(dead, [ev(99_500, 'shop-web-1', null)], null, 200_000)).toEqual([
			{ at: 99_500, source: 'docker-event' }
		]);
	});

	it('the cgroup count adds only kills the events since start do not cover', () => {
		// 2 kills in the cgroup since start at 1 000; one event at 2 000 (after start) and one at 500 (an earlier run)
		const kills = oomKillsOf(
			c,
			[ev(2_000, 'shop-web-1', null), ev(500, 'shop-web-1', null)],
			2,
			10_000
		);
		expect(kills).toEqual([
			{ at: 500, source: 'docker-event' },
			{ at: 2_000, source: 'docker-event' },
			{ at: 10_000, source: 'memory.events' }
		]);
	});
});
