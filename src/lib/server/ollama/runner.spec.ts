// Runner CPU % from a fake /proc: cmdline picks the runner, two stat readings give the rate.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRunnerCpuTracker, isOllamaRunner, parsePidStatTicks, readRunners } from './runner';
import { pidStat, RUNNER_CMDLINE } from '../../../../tests/helpers/fake-proc';

describe('isOllamaRunner', () => {
	it.each([
		[RUNNER_CMDLINE, true],
		['/usr/local/bin/ollama\0runner\0--model\0x\0', true],
		['/tmp/ollama_llama_server\0--model\0x\0', true],
		['/usr/bin/ollama\0serve\0', false], // the server itself: not the runner that does the work
		['/usr/bin/vim\0ollama runner\0', false],
		['/usr/bin/ollama-runner\0', false],
		['', false]
	])('%j -> %s', (cmd, yes) => expect(isOllamaRunner(cmd)).toBe(yes));
});

describe('parsePidStatTicks', () => {
	it('adds utime and stime, even when the command name holds spaces and parentheses', () => {
		expect(parsePidStatTicks(pidStat(42, 'ollama', 5000, 700))).toBe(5700);
		expect(parsePidStatTicks(pidStat(42, 'a (b) c', 1, 2))).toBe(3);
	});
	it('refuses a truncated line', () => {
		expect(() => parsePidStatTicks('42 (ollama) S 1 2 3')).toThrow(/utime\/stime/);
		expect(() => parsePidStatTicks('42 ollama')).toThrow(/no "\)"/);
	});
});

describe('runner CPU tracker over a fake /proc', () => {
	let proc: string;
	beforeEach(async () => {
		proc = await mkdtemp(path.join(tmpdir(), 'vmw-runner-'));
	});
	afterEach(async () => rm(proc, { recursive: true, force: true }));

	async function proc_(pid: number, cmdline: string, utime: number, stime: number) {
		await mkdir(path.join(proc, String(pid)), { recursive: true });
		await writeFile(path.join(proc, String(pid), 'cmdline'), cmdline);
		await writeFile(path.join(proc, String(pid), 'stat'), pidStat(pid, 'ollama', utime, stime));
	}

	it('finds only runners, skipping the server, other processes and non-pid entries', async () => {
		await proc_(1187, '/usr/bin/ollama\0serve\0', 10, 10);
		await proc_(2291877, RUNNER_CMDLINE, 5000, 700);
		await proc_(300, '/usr/bin/node\0server.js\0', 1, 1);
		await writeFile(path.join(proc, 'meminfo'), 'MemTotal: 1 kB\n');
		await mkdir(path.join(proc, '999')); // exited mid-read: no files
		expect(readRunners(proc)).toEqual([{ pid: 2291877, ticks: 5700 }]);
		expect(readRunners(path.join(proc, 'missing'))).toEqual([]);
	});

	it('gives 100 % for one busy core between two readings, null before the second', async () => {
		let t = 0;
		const tracker = createRunnerCpuTracker({ procRoot: proc, now: () => t });
		await proc_(2291877, RUNNER_CMDLINE, 5000, 700);
		expect(tracker.read()).toEqual([{ pid: 2291877, cpuPct: null }]);
		// 2 s later: 5700 -> 5900 ticks = 200 ticks / 2 s = 100 ticks/s = 1 core at USER_HZ 100 = 100 %
		await proc_(2291877, RUNNER_CMDLINE, 5150, 750);
		t = 2000;
		expect(tracker.read()).toEqual([{ pid: 2291877, cpuPct: 100 }]);
		// 0.5 s later: too close for a fresh figure, the last one is kept
		t = 2500;
		await proc_(2291877, RUNNER_CMDLINE, 5200, 750);
		expect(tracker.read()).toEqual([{ pid: 2291877, cpuPct: 100 }]);
		// 4 s after the 2 s reading: +150 ticks of which 50 in the last 0.5 s -> 150 / 4 s = 37.5 ticks/s = 37.5 %
		t = 6000;
		await proc_(2291877, RUNNER_CMDLINE, 5300, 750);
		expect(tracker.read()).toEqual([{ pid: 2291877, cpuPct: 37.5 }]);
	});

	it('gives null, not a negative figure, when a pid is reused by a new runner with fewer ticks', async () => {
		let t = 0;
		const tracker = createRunnerCpuTracker({ procRoot: proc, now: () => t });
		await proc_(500, RUNNER_CMDLINE, 9000, 0);
		tracker.read();
		t = 2000;
		await proc_(500, RUNNER_CMDLINE, 10, 0);
		expect(tracker.read()).toEqual([{ pid: 500, cpuPct: null }]);
	});
});
