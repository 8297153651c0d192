import { describe, expect, it } from 'vitest';
import { cleanupCommand, createProgressParser, lockProbeCommand, outcomeOf } from './runner';

describe('the exact argument vectors', () => {
	it.each([
		['direct', 'standard', false, '/opt/s/vm-cleanup.sh', ['--standard']],
		['direct', 'full', true, '/opt/s/vm-cleanup.sh', ['--full', '--dry-run']],
		[
			'nsenter',
			'weekly',
			false,
			'nsenter',
			[
				'--target',
				'1',
				'--mount',
				'--uts',
				'--ipc',
				'--net',
				'--pid',
				'--',
				'/opt/s/vm-cleanup.sh',
				'--weekly'
			]
		],
		[
			'nsenter',
			'standard',
			true,
			'nsenter',
			[
				'--target',
				'1',
				'--mount',
				'--uts',
				'--ipc',
				'--net',
				'--pid',
				'--',
				'/opt/s/vm-cleanup.sh',
				'--standard',
				'--dry-run'
			]
		]
	] as const)('%s %s dryRun=%s', (runner, mode, dryRun, file, args) => {
		expect(cleanupCommand({ runner, scriptPath: '/opt/s/vm-cleanup.sh', mode, dryRun })).toEqual({
			file,
			args
		});
	});

	it('refuses a mode outside the allow-list even if validation were bypassed', () => {
		expect(() =>
			cleanupCommand({
				runner: 'direct',
				scriptPath: '/s',
				mode: 'standard;touch /tmp/x' as 'standard',
				dryRun: false
			})
		).toThrow(/unknown mode/);
	});

	it('probes the lock with flock -n -E 75, in the host namespaces for nsenter', () => {
		expect(lockProbeCommand({ runner: 'direct', lockFile: '/run/lock/vm-cleanup.lock' })).toEqual({
			file: 'flock',
			args: ['-n', '-E', '75', '/run/lock/vm-cleanup.lock', 'true']
		});
		expect(lockProbeCommand({ runner: 'nsenter', lockFile: '/run/lock/vm-cleanup.lock' })).toEqual({
			file: 'nsenter',
			args: [
				'--target',
				'1',
				'--mount',
				'--uts',
				'--ipc',
				'--net',
				'--pid',
				'--',
				'flock',
				'-n',
				'-E',
				'75',
				'/run/lock/vm-cleanup.lock',
				'true'
			]
		});
	});
});

describe('progress parser', () => {
	// Lines as vm-cleanup.sh's log() prints them (docs/scripts.md; run_step's printf '%-22s %-7s %10s  %s').
	const now = () => new Date('2026-11-29T03:30:00Z');
	it('turns the script output into started/step/finished events', () => {
		const parse = createProgressParser({ runId: 'app-1', mode: 'standard', now });
		const lines = [
			'2026-11-29T03:30:00Z [R1] vm-cleanup standard (dry run) started on vm, disk /: 23.09% used',
			'2026-11-29T03:30:01Z [R1] docker_build_cache     ok             0 B  would free 0 B of build cache',
			'2026-11-29T03:30:01Z [R1]   docker_dangling_images stderr: boom',
			'2026-11-29T03:30:02Z [R1] docker_dangling_images failed         0 B  exit 1: boom',
			'2026-11-29T03:30:03Z [R1] docker_container_logs  ok        31.2 KiB  would truncate 1 json log(s)',
			'2026-11-29T03:30:03Z [R1] vm-cleanup standard finished: partial, would free 31.2 KiB (ok 2, failed 1, skipped 0)',
			'not a log line'
		];
		const events = lines.flatMap(parse);
		expect(
			events.map((e) =>
				e.type === 'step-start' || e.type === 'step-end' ? `${e.type}:${e.index}:${e.name}` : e.type
			)
		).toEqual([
			'started',
			'step-start:0:docker_build_cache',
			'step-end:0:docker_build_cache',
			'step-start:1:docker_dangling_images',
			'log',
			'step-end:1:docker_dangling_images',
			'step-start:2:docker_container_logs',
			'step-end:2:docker_container_logs',
			'finished',
			'log'
		]);
		// 31.2 KiB = round(31.2 * 1024) = 31949 bytes
		expect(events[7]).toMatchObject({
			status: 'ok',
			freedBytes: 31949,
			total: 3,
			message: 'would truncate 1 json log(s)'
		});
		expect(events[5]).toMatchObject({ status: 'failed', message: 'exit 1: boom' });
		expect(events[0]).toMatchObject({ scriptRunId: 'R1' });
	});

	it('maps exit codes to outcomes', () => {
		expect([0, 1, 2, 75, 143, null].map(outcomeOf)).toEqual([
			'ok',
			'partial',
			'failed',
			'locked',
			'error',
			'error'
		]);
	});
});
