import { describe, expect, it } from 'vitest';
import { procFixture } from '../../../../tests/helpers/proc';
import { parseLoadavg, parseMeminfo, parseProcStat, ProcParseError } from './proc-parsers';

describe('parseProcStat', () => {
	it.each([
		// [file, cpu count, aggregate line as printed, cpu0 line as printed]
		[
			'stat.vm-steal.t0',
			4,
			[6010156, 8960, 1604056, 39294836, 160200, 0, 48310, 3563765, 0, 0],
			[1502311, 2210, 401233, 9823412, 40211, 0, 12011, 891233, 0, 0]
		],
		[
			'stat.vm-steal.t1',
			4,
			[6010314, 8960, 1604092, 39295004, 160203, 0, 48312, 3563798, 0, 0],
			[1502351, 2210, 401242, 9823453, 40212, 0, 12012, 891241, 0, 0]
		],
		[
			'stat.local.t0',
			2,
			[5877, 0, 3170, 56824, 365, 0, 112, 22, 0, 0],
			[2472, 0, 1362, 29195, 107, 0, 13, 12, 0, 0]
		],
		[
			'stat.local.t1',
			2,
			[5878, 0, 3171, 57023, 365, 0, 112, 22, 0, 0],
			[2473, 0, 1362, 29294, 107, 0, 13, 12, 0, 0]
		],
		// 8 counters only (pre-2.6.24 kernels): guest and guestNice read as 0
		[
			'stat.eight-fields',
			4,
			[6010156, 8960, 1604056, 39294836, 160200, 0, 48310, 3563765, 0, 0],
			[1502311, 2210, 401233, 9823412, 40211, 0, 12011, 891233, 0, 0]
		]
	])('%s: %i CPUs and every column in order', (file, cpuCount, totalLine, cpu0Line) => {
		const stat = parseProcStat(procFixture(file));
		const asRow = (t: typeof stat.total) => [
			t.user,
			t.nice,
			t.system,
			t.idle,
			t.iowait,
			t.irq,
			t.softirq,
			t.steal,
			t.guest,
			t.guestNice
		];
		expect(stat.perCpu).toHaveLength(cpuCount);
		expect(stat.perCpu.map((c) => c.cpu)).toEqual(
			Array.from({ length: cpuCount }, (_, i) => `cpu${i}`)
		);
		expect(asRow(stat.total)).toEqual(totalLine);
		expect(asRow(stat.perCpu[0])).toEqual(cpu0Line);
	});

	it('reads guest and guest_nice when present and stops before the intr line', () => {
		const stat = parseProcStat(
			'cpu  10 20 30 40 50 60 70 80 90 100 110\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr 1 x y z\n'
		);
		expect(stat.total.guest).toBe(90);
		expect(stat.total.guestNice).toBe(100); // the 11th column (a future kernel's) is ignored
		expect(stat.perCpu[0].guestNice).toBe(10);
	});

	it.each([
		[
			'stat.truncated-mid-line',
			"/proc/stat: file truncated: last line 'cpu3 1499041 2' has no newline"
		],
		['stat.too-few-fields', "/proc/stat: line 'cpu  1 2' has 2 fields, expected at least 8"],
		[
			'stat.non-numeric',
			"/proc/stat: line 'cpu  6010314 89x0 1604092 39295004 160203 0 48312 3563798 0 0' has a non-numeric field '89x0'"
		],
		['stat.no-cpu-lines', "/proc/stat: no aggregate 'cpu' line"],
		[
			'stat.total-only',
			"/proc/stat: no per-CPU lines ('cpu0' ...) after the aggregate line: file truncated?"
		],
		['stat.empty', '/proc/stat: file is empty']
	])('%s → ProcParseError %j', (file, message) => {
		const parse = () => parseProcStat(procFixture(file));
		expect(parse).toThrow(ProcParseError);
		expect(parse).toThrow(message);
	});

	it('names the file it was given', () => {
		try {
			parseProcStat('cpu  1 2\n', '/host/proc/stat');
			expect.unreachable();
		} catch (err) {
			expect(err).toBeInstanceOf(ProcParseError);
			expect((err as ProcParseError).file).toBe('/host/proc/stat');
			expect((err as Error).message).toMatch(/^\/host\/proc\/stat: /);
		}
	});
});

const KiB = 1024;

describe('parseMeminfo', () => {
	it.each([
		// Bytes are the file's kB values * 1024.
		// meminfo.vm-swap: MemTotal 16388100 kB; MemAvailable 10695112 kB (= 10.1997 GiB);
		// swap used = SwapTotal 4194300 - SwapFree 2726300 = 1468000 kB (= 1.39999 GiB);
		// SwapCached 250880 kB = 245 MiB exactly.
		[
			'meminfo.vm-swap',
			{
				memTotalBytes: 16388100 * KiB, // 16781414400
				memAvailableBytes: 10695112 * KiB, // 10951794688
				swapTotalBytes: 4194300 * KiB, // 4294963200
				swapUsedBytes: 1468000 * KiB, // 1503232000
				swapCachedBytes: 250880 * KiB // 256901120
			}
		],
		// meminfo.local: this machine, no swap configured.
		[
			'meminfo.local',
			{
				memTotalBytes: 24684084 * KiB,
				memAvailableBytes: 24252984 * KiB,
				swapTotalBytes: 0,
				swapUsedBytes: 0,
				swapCachedBytes: 0
			}
		]
	])('%s', (file, expected) => {
		expect(parseMeminfo(procFixture(file))).toEqual(expected);
	});

	it('the fixture numbers read as the README says', () => {
		const m = parseMeminfo(procFixture('meminfo.vm-swap'));
		expect(m.swapUsedBytes / 2 ** 30).toBeCloseTo(1.4, 3);
		expect(m.swapCachedBytes / 2 ** 20).toBe(245);
		expect(m.memAvailableBytes / 2 ** 30).toBeCloseTo(10.2, 2);
	});

	it.each([
		['meminfo.no-memavailable', '/proc/meminfo: MemAvailable missing (needs Linux 3.14 or later)'],
		['meminfo.truncated', "/proc/meminfo: file truncated: last line 'SwapTota' has no newline"],
		[
			'meminfo.bad-number',
			"/proc/meminfo: line 'SwapFree:        27263OO kB' is not '<key>: <integer> kB'"
		]
	])('%s → ProcParseError %j', (file, message) => {
		const parse = () => parseMeminfo(procFixture(file));
		expect(parse).toThrow(ProcParseError);
		expect(parse).toThrow(message);
	});

	it('rejects SwapFree above SwapTotal instead of reporting negative swap', () => {
		const text =
			'MemTotal: 10 kB\nMemAvailable: 5 kB\nSwapCached: 0 kB\nSwapTotal: 1 kB\nSwapFree: 2 kB\n';
		expect(() => parseMeminfo(text)).toThrow('SwapFree 2 kB exceeds SwapTotal 1 kB');
	});
});

describe('parseLoadavg', () => {
	it.each([
		['loadavg.vm', { load1: 1.82, load5: 1.64, load15: 1.51 }], // "1.82 1.64 1.51 3/1423 2291877"
		['loadavg.local', { load1: 0.16, load5: 0.29, load15: 0.15 }] // "0.16 0.29 0.15 2/102 7673"
	])('%s', (file, expected) => {
		expect(parseLoadavg(procFixture(file))).toEqual(expected);
	});

	it.each([
		['loadavg.truncated', "/proc/loadavg: file truncated: last line '1.82 1.6' has no newline"],
		['loadavg.garbage', "/proc/loadavg: line 'load: high' has 2 fields, expected 5"]
	])('%s → ProcParseError %j', (file, message) => {
		const parse = () => parseLoadavg(procFixture(file));
		expect(parse).toThrow(ProcParseError);
		expect(parse).toThrow(message);
	});

	it('rejects a non-numeric average', () => {
		expect(() => parseLoadavg('1.0 x 2.0 1/2 3\n')).toThrow("non-numeric load average 'x'");
	});
});
