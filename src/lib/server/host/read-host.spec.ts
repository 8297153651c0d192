import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeProc, type FakeProc } from '../../../../tests/helpers/proc';
import { readHostSync } from './read-host';

const procs: FakeProc[] = [];
afterEach(() => {
	for (const p of procs.splice(0)) p.cleanup();
});

/** A fake procRoot holding the named fixture files under their /proc names. */
function procRootWith(files: { stat?: string; meminfo?: string; loadavg?: string }): string {
	const proc = fakeProc(files);
	procs.push(proc);
	return proc.dir;
}

describe('readHostSync (what the sampler calls)', () => {
	it('reads the three files of a fixture root', async () => {
		const root = procRootWith({
			stat: 'stat.vm-steal.t0',
			meminfo: 'meminfo.vm-swap',
			loadavg: 'loadavg.vm'
		});
		const reading = readHostSync({ procRoot: root });
		expect(reading.cpu.ok && reading.cpu.perCpu.length).toBe(4);
		// 1468000 kB swap used * 1024
		expect(reading.memory).toMatchObject({ ok: true, swapUsedBytes: 1503232000 });
		// cpuCount is the 4 cpuN lines of the fixture stat, not this machine's 2
		expect(reading.load).toEqual({ ok: true, load1: 1.82, load5: 1.64, load15: 1.51, cpuCount: 4 });
	});

	it('a truncated stat gives cpu { ok: false } while memory and load stay ok', async () => {
		const root = procRootWith({
			stat: 'stat.truncated-mid-line',
			meminfo: 'meminfo.vm-swap',
			loadavg: 'loadavg.vm'
		});
		const reading = readHostSync({ procRoot: root });
		expect(reading.cpu).toEqual({
			ok: false,
			error: `${root}/stat: file truncated: last line 'cpu3 1499041 2' has no newline`
		});
		expect(reading.memory.ok).toBe(true);
		expect(reading.load.ok).toBe(true);
		// no per-CPU count from the broken stat: falls back to this process's CPUs
		expect(reading.load.ok && reading.load.cpuCount).toBe(os.cpus().length);
	});

	it('a missing meminfo and a malformed loadavg are reported each on its own', async () => {
		const root = procRootWith({ stat: 'stat.vm-steal.t1', loadavg: 'loadavg.garbage' });
		const reading = readHostSync({ procRoot: root });
		expect(reading.cpu.ok).toBe(true);
		expect(reading.memory).toEqual({ ok: false, error: expect.stringContaining(`ENOENT`) });
		expect(reading.memory.ok === false && reading.memory.error).toContain(`${root}/meminfo`);
		expect(reading.load).toEqual({
			ok: false,
			error: `${root}/loadavg: line 'load: high' has 2 fields, expected 5`
		});
	});

	it("reads this machine's /proc", async () => {
		const reading = readHostSync({ procRoot: '/proc' });
		expect(reading.cpu.ok && reading.cpu.perCpu.length).toBeGreaterThan(0);
		expect(reading.memory.ok && reading.memory.memAvailableBytes).toBeGreaterThan(0);
		expect(reading.load.ok && reading.load.cpuCount).toBe(
			reading.cpu.ok ? reading.cpu.perCpu.length : -1
		);
	});
});
