/**
 * The rig's self-test (vitest project `rig`, counted apart from the app's tests by
 * scripts/test.sh): every command the tests call is installed, none of the rig's packages
 * starts a service at boot, the services really answer, and history backfill works,
 * before any feature test leans on them.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { backfill, promQuery, promQueryRange } from '../helpers/prometheus';
import {
	requireDocker,
	requireNodeExporter,
	requirePrometheus,
	rigEnv,
	TEST_CONTAINER_LABELS
} from '../helpers/rig';

const RIG_SH = fileURLToPath(new URL('../../scripts/rig/rig.sh', import.meta.url));
const rigCheck = (extra?: string) =>
	spawnSync('bash', [RIG_SH, 'check'], {
		encoding: 'utf8',
		env: { ...process.env, VMW_RIG_EXTRA_COMMANDS: extra ?? '' }
	});

describe('rig self-check', () => {
	it('finds every command the tests, host scripts and rig steps call', () => {
		const res = rigCheck();
		expect(res.stderr).not.toContain('MISSING');
		expect(res.status, res.stderr).toBe(0);
	});

	it('fails naming a missing command', () => {
		const res = rigCheck('vmw-no-such-command-4d1f');
		expect(res.status).toBe(1);
		expect(res.stderr).toContain('MISSING vmw-no-such-command-4d1f (no Debian package known');
		expect(res.stderr).toMatch(/self-check FAILED: .*vmw-no-such-command-4d1f/);
	});

	it('leaves none of the services the rig installed enabled at boot (docker, containerd, prometheus, node_exporter, cron)', () => {
		// only what `up` installed (recorded in its state dir): the machine's own Docker may start at boot
		const res = spawnSync('bash', [RIG_SH, 'boot-enabled'], { encoding: 'utf8' });
		expect(res.stdout, 'run `sudo bash scripts/rig/rig.sh boot-quiet`').toBe('');
		expect(res.status, res.stderr).toBe(0);
	});

	it("names the rig's own units enabled at boot, never a Docker the machine had before the rig", async () => {
		const dir = await mkdtemp(path.join(tmpdir(), 'vmw-rig-boot-'));
		try {
			// a VM that runs Docker (its own, enabled), where the rig installed Prometheus and node_exporter
			await mkdir(path.join(dir, 'state'));
			await writeFile(
				path.join(dir, 'state/installed-units'),
				'prometheus-node-exporter.service\nprometheus.service\n'
			);
			const etc = path.join(dir, 'systemd');
			await mkdir(path.join(etc, 'multi-user.target.wants'), { recursive: true });
			await mkdir(path.join(etc, 'sockets.target.wants'));
			for (const link of [
				'multi-user.target.wants/docker.service',
				'multi-user.target.wants/containerd.service',
				'sockets.target.wants/docker.socket',
				'multi-user.target.wants/prometheus.service'
			])
				await symlink(`/lib/systemd/system/${path.basename(link)}`, path.join(etc, link));
			const boot = () =>
				spawnSync('bash', [RIG_SH, 'boot-enabled'], {
					encoding: 'utf8',
					env: { ...process.env, VMW_RIG_DIR: dir, VMW_RIG_SYSTEMD_DIR: etc }
				});
			let res = boot();
			expect([res.status, res.stdout]).toEqual([1, 'multi-user.target.wants/prometheus.service\n']);
			await rm(path.join(etc, 'multi-user.target.wants/prometheus.service'));
			res = boot();
			expect([res.status, res.stdout]).toEqual([0, '']);
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});
});

describe('test rig', () => {
	it('runs a --network none container from the test image on its own dockerd', async () => {
		const env = rigEnv();
		const docker = await requireDocker(env);
		expect(await docker.ping()).toBeTruthy();

		const container = await docker.createContainer({
			Image: env.testImage,
			// Tty: logs come back as plain text, without the stdout/stderr framing
			Tty: true,
			Cmd: ['sh', '-c', 'echo "hello from $(uname -s)"; ls /sys/class/net'],
			Labels: { ...TEST_CONTAINER_LABELS },
			HostConfig: { NetworkMode: 'none' }
		});
		try {
			await container.start();
			const exit = (await container.wait()) as { StatusCode: number };
			const output = (
				await container.logs({ stdout: true, stderr: true, follow: false })
			).toString();

			expect(exit.StatusCode).toBe(0);
			expect(output).toContain('hello from Linux');
			// network none: loopback is the only interface
			expect(output.replace('hello from Linux', '').trim()).toBe('lo');
		} finally {
			await container.remove({ force: true });
		}
	});

	it('serves node_exporter metrics through Prometheus', async () => {
		await requireNodeExporter();
		await requirePrometheus();

		const result = await promQuery('node_memory_MemTotal_bytes{job="node"}');

		expect(result).toHaveLength(1);
		expect(Number(result[0].value[1])).toBeGreaterThan(64 * 1024 * 1024);
	});

	it(
		'backfills history with promtool and answers a range query over it',
		{ timeout: 150_000 },
		async () => {
			await requirePrometheus();
			// 61 samples, one a minute, from 3 h to 2 h ago: value = minutes since start × 1000.
			const run = Math.random().toString(36).slice(2, 10);
			const startSec = Math.floor(Date.now() / 1000 / 60) * 60 - 3 * 3600;
			const lines = [
				'# HELP vmw_rig_backfill_bytes Rig self-test series.',
				'# TYPE vmw_rig_backfill_bytes gauge'
			];
			for (let minute = 0; minute <= 60; minute++) {
				lines.push(
					`vmw_rig_backfill_bytes{run="${run}"} ${minute * 1000} ${startSec + minute * 60}`
				);
			}
			lines.push('# EOF');

			const { blockIds } = await backfill(lines.join('\n'));
			const series = await promQueryRange({
				expr: `vmw_rig_backfill_bytes{run="${run}"}`,
				startSec,
				endSec: startSec + 3600,
				stepSec: 60
			});

			expect(blockIds.length).toBeGreaterThan(0);
			expect(series).toHaveLength(1);
			expect(series[0].values).toHaveLength(61);
			expect(series[0].values[0]).toEqual([startSec, '0']);
			expect(series[0].values[60]).toEqual([startSec + 3600, '60000']);
		}
	);
});
