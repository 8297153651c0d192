import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectLayout } from './cgroup';
import { createOomCounter } from './oom-counter';
import { readCgroupOomKills } from '../resources/oom';

const ID = 'c0ffee'.repeat(10) + 'c0ff';
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/**
 * A cgroup tree with one container's OOM file, in the kernel's format: v1 (cgroupfs driver, as
 * the rig's dockerd) memory/docker/<id>/memory.oom_control, v2 (systemd driver)
 * system.slice/docker-<id>.scope/memory.events (tests/fixtures/cgroup-v2/memory.events).
 */
function cgroup(version: 1 | 2) {
	const root = mkdtempSync(path.join(tmpdir(), `vmw-oom-v${version}-`));
	dirs.push(root);
	const dir =
		version === 1
			? path.join(root, 'memory/docker', ID)
			: path.join(root, `system.slice/docker-${ID}.scope`);
	mkdirSync(dir, { recursive: true });
	if (version === 2)
		writeFileSync(path.join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
	const layout = detectLayout(root);
	return {
		set(kills: number) {
			if (version === 1)
				writeFileSync(
					path.join(dir, 'memory.oom_control'),
					`oom_kill_disable 0\nunder_oom 0\noom_kill ${kills}\n`
				);
			else
				writeFileSync(
					path.join(dir, 'memory.events'),
					`low 0\nhigh 0\nmax ${12 * kills}\noom ${kills}\noom_kill ${kills}\noom_group_kill 0\n`
				);
		},
		gone: () => rmSync(dir, { recursive: true, force: true }),
		counter: () => createOomCounter({ read: (id) => readCgroupOomKills(layout, id, '') })
	};
}

describe('OOM kills from the kernel counter', () => {
	it('cgroup v1: two kills 192 ms apart, two events, oom_kill 2: two kills (the 1 s de-duplication counted one)', () => {
		const cg = cgroup(1);
		cg.set(0);
		const c = cg.counter();
		c.started(ID);
		cg.set(1);
		expect(c.onEvent(ID, 10_000)).toBe(1);
		cg.set(2);
		expect(c.onEvent(ID, 10_192)).toBe(1);
	});

	it('cgroup v1: both kills already counted when the first event is read: 2, then 0', () => {
		const cg = cgroup(1);
		const c = cg.counter();
		c.started(ID);
		cg.set(2);
		expect([c.onEvent(ID, 10_000), c.onEvent(ID, 10_192)]).toEqual([2, 0]);
	});

	it('cgroup v2: one kill reaching us as two events 3 ms apart is one kill; a later kill is one more', () => {
		const cg = cgroup(2);
		const c = cg.counter();
		c.started(ID);
		cg.set(1);
		expect([c.onEvent(ID, 10_000), c.onEvent(ID, 10_003)]).toEqual([1, 0]);
		cg.set(2);
		expect(c.onEvent(ID, 70_000)).toBe(1);
	});

	it('an event read before the kernel counted its kill is one kill, and the catching-up counter adds none', () => {
		const cg = cgroup(1);
		const c = cg.counter();
		c.started(ID);
		cg.set(0);
		expect(c.onEvent(ID, 10_000)).toBe(1);
		cg.set(1);
		expect(c.onEvent(ID, 10_004)).toBe(0);
		cg.set(2);
		expect(c.onEvent(ID, 20_000)).toBe(1);
	});

	it('a container running before the app: kills before its baseline are history', () => {
		const cg = cgroup(1);
		cg.set(5);
		const c = cg.counter();
		c.baseline(ID);
		cg.set(7);
		expect(c.onEvent(ID, 10_000)).toBe(2);
		c.baseline(ID); // a later reconcile keeps what was counted
		expect(c.onEvent(ID, 20_000)).toBe(1); // not moved, not paired: one kill the kernel has not counted yet
	});

	it('a restart (new cgroup, counter back at 0) counts from 0', () => {
		const cg = cgroup(2);
		const c = cg.counter();
		c.started(ID);
		cg.set(3);
		expect(c.onEvent(ID, 10_000)).toBe(3);
		c.started(ID);
		cg.set(1);
		expect(c.onEvent(ID, 20_000)).toBe(1);
		// a restart whose start event was missed: the lower count is a new cgroup's
		cg.set(2);
		expect(c.onEvent(ID, 30_000)).toBe(1);
		cg.set(1);
		expect(c.onEvent(ID, 40_000)).toBe(1);
	});

	it('the cgroup is gone (the container exited): each event is one kill, a second within 1 s none', () => {
		const cg = cgroup(1);
		const c = cg.counter();
		c.started(ID);
		cg.gone();
		expect([c.onEvent(ID, 10_000), c.onEvent(ID, 10_400), c.onEvent(ID, 12_000)]).toEqual([
			1, 0, 1
		]);
		expect(
			createOomCounter({
				read: () => {
					throw new Error('EACCES');
				}
			}).onEvent(ID, 1)
		).toBe(1);
	});
});
