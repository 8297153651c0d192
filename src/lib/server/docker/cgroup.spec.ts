import {
	closeSync,
	mkdirSync,
	mkdtempSync,
	openSync,
	readFileSync,
	readSync,
	rmSync,
	writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
	candidateDirs,
	createKeptFileReader,
	createStackedLayerTest,
	detectLayout,
	findContainerDir,
	parseBlkio,
	parseIoStat,
	parseKeyValues,
	readCgroup,
	statValue,
	stackedMajors,
	sumDeviceIo
} from './cgroup';

const fixtures = path.resolve(import.meta.dirname, '../../../../tests/fixtures');
const dmOnly = (d: string) => d.startsWith('253:');
const V1_ID = 'c0ffee'.repeat(11).slice(0, 64);

const tmp = mkdtempSync(path.join(tmpdir(), 'vmw-cgroup-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('readCgroup on the fixtures (numbers derived in tests/fixtures/cgroup-v*/README.md)', () => {
	it('v2: usage minus inactive_file, limit from memory.max, stacked dm volume counted once', () => {
		const layout = { version: 2 as const, root: path.join(fixtures), controllers: null };
		expect(readCgroup(layout, 'cgroup-v2', dmOnly)).toEqual({
			cpuUsec: 812345678901,
			memUsedBytes: 127868928,
			memLimitBytes: 536870912,
			readBytes: 1245184,
			writeBytes: 23837474816,
			pids: null
		});
	});

	it("withLimit: false skips the limit file (the collector has the inspect's limit)", () => {
		const layout = { version: 2 as const, root: path.join(fixtures), controllers: null };
		const read: string[] = [];
		const r = readCgroup(
			layout,
			'cgroup-v2',
			dmOnly,
			(f) => (read.push(path.basename(f)), readFileSync(f, 'utf8')),
			{ withLimit: false }
		);
		expect(r.memLimitBytes).toBeNull();
		expect(read).not.toContain('memory.max');
		expect(r.memUsedBytes).toBe(127868928);
	});

	it('v1 (cgroupfs): ns -> µs, total_inactive_file, blkio Write of the bottom device only', () => {
		const layout = detectLayout(path.join(fixtures, 'cgroup-v1'));
		expect(layout.version).toBe(1);
		const rel = findContainerDir(layout, V1_ID);
		expect(rel).toBe(`docker/${V1_ID}`);
		expect(readCgroup(layout, rel!, dmOnly)).toEqual({
			cpuUsec: 31010374,
			memUsedBytes: 618496,
			memLimitBytes: 16777216,
			readBytes: 40960,
			writeBytes: 4194304,
			pids: 3
		});
	});

	it('v2 memory.max "max" means no limit; v1 page-rounded 2^63 means no limit', () => {
		const v2 = path.join(tmp, 'v2-nolimit');
		mkdirSync(v2, { recursive: true });
		writeFileSync(path.join(v2, 'cpu.stat'), 'usage_usec 10\n');
		writeFileSync(path.join(v2, 'memory.current'), '100\n');
		writeFileSync(path.join(v2, 'memory.stat'), 'inactive_file 40\n');
		writeFileSync(path.join(v2, 'memory.max'), 'max\n');
		writeFileSync(path.join(v2, 'pids.current'), '7\n');
		expect(readCgroup({ version: 2, root: tmp, controllers: null }, 'v2-nolimit', dmOnly)).toEqual({
			cpuUsec: 10,
			memUsedBytes: 60,
			memLimitBytes: null,
			readBytes: 0,
			writeBytes: 0,
			pids: 7
		});

		const v1 = path.join(tmp, 'v1');
		for (const c of ['cpuacct', 'memory', 'blkio', 'pids'])
			mkdirSync(path.join(v1, c, 'docker/x'), { recursive: true });
		writeFileSync(path.join(v1, 'cpuacct/docker/x/cpuacct.usage'), '5000\n');
		writeFileSync(path.join(v1, 'memory/docker/x/memory.usage_in_bytes'), '100\n');
		writeFileSync(path.join(v1, 'memory/docker/x/memory.stat'), 'inactive_file 30\n');
		writeFileSync(path.join(v1, 'memory/docker/x/memory.limit_in_bytes'), '9223372036854771712\n');
		// no blkio or pids files: zero bytes and null pids, not an error
		expect(readCgroup(detectLayout(v1), 'docker/x', dmOnly)).toEqual({
			cpuUsec: 5,
			memUsedBytes: 70,
			memLimitBytes: null,
			readBytes: 0,
			writeBytes: 0,
			pids: null
		});
	});

	it('throws, naming the file, when a required file is missing or garbage', () => {
		expect(() =>
			readCgroup({ version: 2, root: tmp, controllers: null }, 'nowhere', dmOnly)
		).toThrow(/nowhere\/cpu\.stat/);
		const bad = path.join(tmp, 'v2-bad');
		mkdirSync(bad, { recursive: true });
		writeFileSync(path.join(bad, 'cpu.stat'), 'usage_usec 10\n');
		writeFileSync(path.join(bad, 'memory.current'), 'lots\n');
		expect(() =>
			readCgroup({ version: 2, root: tmp, controllers: null }, 'v2-bad', dmOnly)
		).toThrow(/memory\.current: expected a number, got "lots"/);
	});
});

describe('block I/O files without a device line', () => {
	it.each([
		['Total 0\n', parseBlkio],
		['', parseBlkio],
		['', parseIoStat]
	])('%j: no devices', (text, parse) => {
		expect(parse(text)).toEqual([]);
	});
});

describe('statValue: one key of a "key value" file without splitting it', () => {
	it.each([
		'cgroup-v2/cpu.stat',
		'cgroup-v2/memory.stat',
		`cgroup-v1/memory/docker/${V1_ID}/memory.stat`
	])('gives what parseKeyValues gives for every key of %s', (file) => {
		const text = readFileSync(path.join(fixtures, file), 'utf8');
		const all = parseKeyValues(text);
		expect(all.size).toBeGreaterThan(0);
		for (const [key, value] of all) expect(statValue(text, key)).toBe(value);
	});

	it.each([
		// the whole key only: inactive_file is also the tail of total_inactive_file
		['total_inactive_file 7\ninactive_file 3\n', 'inactive_file', 3],
		['total_inactive_file 7\n', 'inactive_file', undefined],
		['anon 1\ninactive_file_x 5\n', 'inactive_file', undefined],
		['inactive_file 12', 'inactive_file', 12], // no final newline
		['inactive_file   12 \n', 'inactive_file', 12],
		['inactive_file -3\n', 'inactive_file', undefined], // not all digits: no value, as parseKeyValues
		['inactive_file 3x\n', 'inactive_file', undefined],
		['', 'usage_usec', undefined],
		['  inactive_file 4\n', 'inactive_file', 4], // indented
		['anon inactive_file 4\n', 'inactive_file', undefined] // not the line's key
	])('%j, %s -> %s', (text, key, value) => {
		expect(statValue(text, key)).toBe(value);
		expect(parseKeyValues(text).get(key)).toBe(value);
	});
});

describe("finding a container's cgroup directory", () => {
	const id = 'ab'.repeat(32);
	it.each([
		['', ['system.slice/docker-' + id + '.scope', 'docker/' + id]],
		[
			'my-app.slice',
			[
				'my.slice/my-app.slice/docker-' + id + '.scope',
				'system.slice/docker-' + id + '.scope',
				'docker/' + id
			]
		],
		[
			'/custom/parent',
			['custom/parent/' + id, 'system.slice/docker-' + id + '.scope', 'docker/' + id]
		]
	])('cgroupParent "%s"', (parent, dirs) => {
		expect(candidateDirs(id, parent)).toEqual(dirs);
	});

	it('v2 systemd driver: system.slice/docker-<id>.scope under the root', () => {
		const root = path.join(tmp, 'v2-systemd');
		mkdirSync(path.join(root, `system.slice/docker-${id}.scope`), { recursive: true });
		writeFileSync(path.join(root, 'cgroup.controllers'), 'cpu io memory pids\n');
		const layout = detectLayout(root);
		expect(layout.version).toBe(2);
		expect(findContainerDir(layout, id)).toBe(`system.slice/docker-${id}.scope`);
		expect(findContainerDir(layout, 'cd'.repeat(32))).toBeNull();
	});

	it('v1 systemd driver with cpu,cpuacct co-mounted', () => {
		const root = path.join(tmp, 'v1-systemd');
		for (const c of ['cpu,cpuacct', 'memory', 'blkio', 'pids'])
			mkdirSync(path.join(root, c, `system.slice/docker-${id}.scope`), { recursive: true });
		const layout = detectLayout(root);
		expect(layout.controllers!.cpuacct).toBe(path.join(root, 'cpu,cpuacct'));
		expect(findContainerDir(layout, id)).toBe(`system.slice/docker-${id}.scope`);
	});
});

describe('stacked block devices', () => {
	it('parses io.stat and blkio lines per device', () => {
		expect(
			parseIoStat('8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n253:0 rbytes=1 wbytes=2\n')
		).toEqual([
			{ device: '8:0', readBytes: 1, writeBytes: 2 },
			{ device: '253:0', readBytes: 1, writeBytes: 2 }
		]);
		expect(parseBlkio('8:16 Read 5\n8:16 Write 6\n8:16 Total 11\nTotal 11\n')).toEqual([
			{ device: '8:16', readBytes: 5, writeBytes: 6 }
		]);
	});

	it('counts bottom devices only; a container on a dm volume alone still counts it', () => {
		const both = [
			{ device: '8:0', readBytes: 10, writeBytes: 100 },
			{ device: '253:0', readBytes: 10, writeBytes: 100 },
			{ device: '8:16', readBytes: 1, writeBytes: 5 }
		];
		expect(sumDeviceIo(both, dmOnly)).toEqual({ readBytes: 11, writeBytes: 105 });
		expect(sumDeviceIo([{ device: '253:1', readBytes: 3, writeBytes: 7 }], dmOnly)).toEqual({
			readBytes: 3,
			writeBytes: 7
		});
	});

	it('knows a stacked layer from sysfs slaves, else from /proc/devices majors', () => {
		const sys = path.join(tmp, 'sys');
		mkdirSync(path.join(sys, 'dev/block/253:0/slaves/vda'), { recursive: true });
		mkdirSync(path.join(sys, 'dev/block/254:0/slaves'), { recursive: true });
		const proc = path.join(tmp, 'proc');
		mkdirSync(proc, { recursive: true });
		writeFileSync(
			path.join(proc, 'devices'),
			'Character devices:\n  1 mem\n\nBlock devices:\n  7 loop\n  9 md\n252 device-mapper\n254 virtblk\n'
		);
		const test = createStackedLayerTest({ sysRoot: sys, procRoot: proc });
		expect(test('253:0')).toBe(true); // slaves listed
		expect(test('254:0')).toBe(false); // empty slaves dir
		expect(test('252:3')).toBe(true); // no sysfs entry: device-mapper major
		expect(test('9:1')).toBe(true); // md
		expect(test('8:0')).toBe(false);
		expect([...stackedMajors('Block devices:\n253 device-mapper\n  9 md\n  8 sd\n')]).toEqual([
			253, 9
		]);
	});
});

describe('createKeptFileReader: files stay open between refreshes', () => {
	// Regular files stand in for cgroup files here; the real ones on the rig's cgroups, and a
	// container restarted under the collector, are tests/integration/container-stats.test.ts.
	function counted() {
		const calls = { open: 0, close: 0 };
		/** which open (1, 2, …) each fd number now stands for; `failing` lists opens whose reads fail */
		const openOf = new Map<number, number>();
		const failing = new Set<number>();
		const fs = {
			openSync: (f: string, flags: 'r') => {
				const n = ++calls.open;
				const fd = openSync(f, flags);
				openOf.set(fd, n);
				return fd;
			},
			readSync: (fd: number, b: Buffer, o: number, l: number, p: number) => {
				if (failing.has(openOf.get(fd)!))
					throw Object.assign(new Error('ENODEV: no such device, read'), { code: 'ENODEV' });
				return readSync(fd, b, o, l, p);
			},
			closeSync: (fd: number) => {
				calls.close++;
				closeSync(fd);
			}
		};
		return { calls, failing, fs };
	}

	it('opens a file once and reads fresh content from its start each time', () => {
		const f = path.join(tmp, 'kept-usage');
		writeFileSync(f, '100\n');
		const c = counted();
		const reader = createKeptFileReader({ fs: c.fs });
		expect(reader.read(f)).toBe('100\n');
		writeFileSync(f, '250\n'); // rewritten in place, as the kernel's figures move
		expect(reader.read(f)).toBe('250\n');
		expect(c.calls.open).toBe(1);
		expect(reader.openFiles).toBe(1);
		reader.close();
		expect(c.calls.close).toBe(1);
	});

	it('a read that fails (a removed cgroup: ENODEV) opens the path again once', () => {
		const f = path.join(tmp, 'kept-restarted');
		writeFileSync(f, '7\n');
		const c = counted();
		const reader = createKeptFileReader({ fs: c.fs });
		expect(reader.read(f)).toBe('7\n');
		c.failing.add(1); // the container restarted: its old cgroup's file fails
		writeFileSync(f, '8\n');
		expect(reader.read(f)).toBe('8\n');
		expect(c.calls).toEqual({ open: 2, close: 1 });
		expect(reader.read(f)).toBe('8\n'); // the new one is kept
		expect(c.calls.open).toBe(2);
		reader.close();
	});

	it('a missing file throws ENOENT, then again without opening it, until forgotten', () => {
		const f = path.join(tmp, 'kept-missing');
		const c = counted();
		const reader = createKeptFileReader({ fs: c.fs });
		expect(() => reader.read(f)).toThrow(/ENOENT/);
		expect(() => reader.read(f)).toThrow(/ENOENT/);
		expect(c.calls.open).toBe(1);
		writeFileSync(f, '3\n');
		reader.forget([f]);
		expect(reader.read(f)).toBe('3\n');
		reader.close();
	});

	it('keeps at most maxOpen files open; reads a file larger than its buffer whole', () => {
		const big = path.join(tmp, 'kept-big');
		const text = '8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n'.repeat(1000); // 52 KB
		writeFileSync(big, text);
		const small = path.join(tmp, 'kept-small');
		writeFileSync(small, '1\n');
		const c = counted();
		const reader = createKeptFileReader({ maxOpen: 1, fs: c.fs });
		expect(reader.read(big)).toBe(text);
		expect(reader.read(small)).toBe('1\n');
		expect(reader.read(small)).toBe('1\n');
		expect(reader.openFiles).toBe(1);
		expect(c.calls.open).toBe(3); // big once (kept), small at each read
		reader.close();
	});
});
