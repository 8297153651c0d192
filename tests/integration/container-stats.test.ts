// Container stats from the rig kernel's cgroup files agree with Docker's stats API for the same
// container, and the collector reads every running container from cgroups (no API fallback).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import {
	createDockerAdapter,
	createDockerApi,
	type DockerAdapter
} from '../../src/lib/server/docker';
import {
	createStackedLayerTest,
	detectLayout,
	findContainerDir,
	readCgroup
} from '../../src/lib/server/docker/cgroup';
import {
	createStatsCollector,
	readingFromStatsApi
} from '../../src/lib/server/docker/stats-collector';
import { createLogger } from '../../src/lib/server/log';
import { requireDocker, rigEnv } from '../helpers/rig';
import {
	createTestContainer,
	newRunId,
	removeRun,
	TEST_LABEL,
	waitFor
} from '../helpers/containers';

const env = rigEnv();
const run = newRunId('stats');
const MiB = 1024 * 1024;
let docker: Docker;
let adapter: DockerAdapter;

beforeAll(async () => {
	docker = await requireDocker(env);
	adapter = createDockerAdapter({
		api: createDockerApi({ host: env.dockerHost, timeoutMs: 5000 }),
		intervalMs: 60_000,
		labels: [`${TEST_LABEL}=${run}`],
		log: createLogger('test-stats')
	});
	await Promise.all([
		// holds 4 MiB in a shell variable-free way: a tmpfs-less file in its writable layer (page cache)
		createTestContainer(docker, env.testImage, run, {
			name: `${run}-limited`,
			memoryBytes: 16 * MiB,
			cmd: 'head -c 4194304 /dev/zero > /tmp/blob; sleep 3600'
		}),
		createTestContainer(docker, env.testImage, run, {
			name: `${run}-busy`,
			cmd: 'while :; do :; done'
		}),
		createTestContainer(docker, env.testImage, run, { name: `${run}-stopped`, cmd: 'exit 0' })
	]);
});

afterAll(async () => {
	await adapter?.stop();
	if (docker) await removeRun(docker, run);
});

describe('container stats (rig kernel cgroups vs Docker stats API)', () => {
	it('the same counters: CPU bracketed by two cgroup reads, memory within 256 KiB, limit, pids and bytes equal', async () => {
		const list = await waitFor('containers listed', async () => {
			const r = await adapter.refresh();
			return r.state === 'ok' && r.data.filter((c) => c.state === 'running').length === 2
				? r.data
				: null;
		});
		const layout = detectLayout('/sys/fs/cgroup');
		const stacked = createStackedLayerTest();
		for (const c of list.filter((x) => x.state === 'running')) {
			const rel = findContainerDir(layout, c.id, c.cgroupParent);
			expect(rel, `cgroup dir of ${c.name}`).not.toBeNull();
			const before = readCgroup(layout, rel!, stacked);
			const api = readingFromStatsApi(await adapter.api.containerStats(c.id), stacked);
			const after = readCgroup(layout, rel!, stacked);
			// CPU time only grows: the API's reading falls between ours if both read the same counter
			expect(api.cpuUsec).toBeGreaterThanOrEqual(before.cpuUsec);
			expect(api.cpuUsec).toBeLessThanOrEqual(after.cpuUsec);
			// memory moves a little between reads (a page here and there): 256 KiB is 64 pages,
			// far below the 4 MiB the limited container holds, so a wrong formula still fails
			expect(Math.abs(api.memUsedBytes - after.memUsedBytes)).toBeLessThanOrEqual(256 * 1024);
			expect(api.pids).toBe(after.pids);
			expect(api.writeBytes).toBe(after.writeBytes);
			expect(api.readBytes).toBe(after.readBytes);
		}
		const limited = list.find((c) => c.name === `${run}-limited`)!;
		const rel = findContainerDir(layout, limited.id)!;
		const r = readCgroup(layout, rel, stacked);
		expect(r.memLimitBytes).toBe(16 * MiB);
		// the 4 MiB file sits in page cache charged to the container (active or inactive)
		expect(r.memUsedBytes).toBeLessThan(16 * MiB);
	});

	it('the collector reads every running container from cgroups; the busy loop shows about one CPU', async () => {
		const collector = createStatsCollector({ adapter, log: createLogger('test-stats') });
		const r = await adapter.refresh();
		if (r.state !== 'ok') throw new Error(r.reason);
		await collector.collect(r.data);
		await new Promise((res) => setTimeout(res, 1500));
		const samples = await collector.collect(r.data);
		expect(samples.map((s) => s.name).sort()).toEqual([`${run}-busy`, `${run}-limited`]);
		expect(samples.every((s) => s.source === 'cgroup')).toBe(true);
		expect(collector.status()).toMatchObject({
			fromCgroup: 2,
			fromStatsApi: 0,
			missing: 0,
			cgroupVersion: detectLayout('/sys/fs/cgroup').version
		});
		const busy = samples.find((s) => s.name === `${run}-busy`)!;
		// a shell busy loop uses at most one CPU; on 2 cores shared with other tests it gets well above 10 %
		expect(busy.cpuPct).toBeGreaterThan(10);
		expect(busy.cpuPct).toBeLessThanOrEqual(105);
		expect(collector.status().lastCollectMs).toBeLessThan(1000);
	});

	it('a container restarted under the collector is read from its new cgroup (files kept open between refreshes)', async () => {
		const collector = createStatsCollector({ adapter, log: createLogger('test-stats') });
		try {
			const busyOf = async () => {
				const r = await adapter.refresh();
				if (r.state !== 'ok') throw new Error(r.reason);
				const samples = await collector.collect(r.data);
				return samples.find((s) => s.name === `${run}-busy`);
			};
			await busyOf();
			await new Promise((res) => setTimeout(res, 1500));
			const before = (await busyOf())!;
			expect(before.cpuUsec).toBeGreaterThan(100_000); // the loop has run for seconds by now
			// Docker removes the container's cgroup and makes a new one at the same path: the file
			// kept open from the old one must not go on answering (with its old counter)
			await docker.getContainer(before.id).restart({ t: 0 });
			const after = await waitFor('the restarted container read again', async () => {
				const s = await busyOf();
				return s && s.cpuUsec < before.cpuUsec ? s : null;
			});
			expect(after.source).toBe('cgroup');
			expect(collector.status()).toMatchObject({ fromStatsApi: 0, missing: 0 });
		} finally {
			await collector.stop();
		}
	});
});
