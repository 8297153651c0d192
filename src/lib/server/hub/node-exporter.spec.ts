import { describe, expect, it } from 'vitest';
import { parseExposition, sampleFromNodeExporter } from './node-exporter';

const text = (
	idle0: number,
	steal0: number,
	user0: number
) => `# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
# TYPE node_cpu_seconds_total counter
node_cpu_seconds_total{cpu="0",mode="idle"} ${idle0}
node_cpu_seconds_total{cpu="0",mode="steal"} ${steal0}
node_cpu_seconds_total{cpu="0",mode="user"} ${user0}
node_cpu_seconds_total{cpu="1",mode="idle"} ${idle0}
node_cpu_seconds_total{cpu="1",mode="steal"} ${steal0}
node_cpu_seconds_total{cpu="1",mode="user"} ${user0}
node_load1 1.5
node_load5 1.25
node_load15 1
node_memory_MemTotal_bytes 8.589934592e+09
node_memory_MemAvailable_bytes 2.147483648e+09
node_memory_SwapTotal_bytes 1073741824
node_memory_SwapFree_bytes 805306368
node_memory_SwapCached_bytes 0
node_filesystem_size_bytes{device="/dev/vda1",fstype="ext4",mountpoint="/"} 1000
node_filesystem_free_bytes{device="/dev/vda1",fstype="ext4",mountpoint="/"} 400
node_filesystem_avail_bytes{device="/dev/vda1",fstype="ext4",mountpoint="/"} 300
node_filesystem_size_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run"} 10
`;

describe('node_exporter text', () => {
	it('parses labels with escapes and skips comments', () => {
		expect(parseExposition('# x\nm{a="q\\"b",c="d"} 2.5e+00 1700000000\nbad line\n')).toEqual([
			{ name: 'm', labels: { a: 'q"b', c: 'd' }, value: 2.5 }
		]);
	});

	it('gives the sampler figures; steal and busy from the second reading', () => {
		const first = sampleFromNodeExporter(text(100, 10, 50), { ts: 1_000 });
		expect(first.sample.cpu).toEqual({
			ok: true,
			stealPct: null,
			busyPct: null,
			intervalMs: null,
			perCpu: []
		});
		expect(first.sample.load).toEqual({
			ok: true,
			load1: 1.5,
			load5: 1.25,
			load15: 1,
			cpuCount: 2
		});
		// swap used = total - free = 1 GiB - 768 MiB = 256 MiB
		expect(first.sample.memory).toEqual({
			ok: true,
			memTotalBytes: 8 * 2 ** 30,
			memAvailableBytes: 2 * 2 ** 30,
			swapTotalBytes: 2 ** 30,
			swapUsedBytes: 256 * 2 ** 20,
			swapCachedBytes: 0
		});
		// df: used = 1000 - 400 = 600; used % = 600 / (600 + 300) = 66.67 %; only "/" by default
		expect(first.sample.disks).toEqual([
			{
				mount: '/',
				figures: {
					ok: true,
					totalBytes: 1000,
					usedBytes: 600,
					availBytes: 300,
					usedPct: (600 / 900) * 100
				}
			}
		]);
		// per CPU: idle +60, steal +10, user +30 over 100 s of jiffies -> steal 10 %, busy 40 %
		const second = sampleFromNodeExporter(text(160, 20, 80), {
			ts: 6_000,
			previous: { ts: 1_000, cpu: first.cpu }
		});
		expect(second.sample.cpu).toEqual({
			ok: true,
			stealPct: 10,
			busyPct: 40,
			intervalMs: 5_000,
			perCpu: [
				{ cpu: 'cpu0', stealPct: 10, busyPct: 40 },
				{ cpu: 'cpu1', stealPct: 10, busyPct: 40 }
			]
		});
	});

	it('says what is missing', () => {
		const { sample } = sampleFromNodeExporter('node_load1 1\n', { ts: 0, mounts: ['/data'] });
		expect(sample.memory).toEqual({
			ok: false,
			error: 'no node_memory_MemTotal_bytes / MemAvailable_bytes in the node_exporter answer'
		});
		expect(sample.disks).toEqual([
			{
				mount: '/data',
				figures: { ok: false, error: 'node_exporter reports no filesystem at /data' }
			}
		]);
		expect(sample.cpu).toEqual({
			ok: false,
			error: 'no node_cpu_seconds_total in the node_exporter answer'
		});
	});
});
