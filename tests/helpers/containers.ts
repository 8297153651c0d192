// Test containers on the rig's dockerd: NetworkMode none, labelled with a value unique to
// the test run (others' tests share the daemon), removed by `removeRun`.
import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';

export const TEST_LABEL = 'vmwarden.test';

/** A label value unique to this run; filter every assertion by it. */
export function newRunId(prefix = 'ctr'): string {
	return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

const SEC = 1_000_000_000;

export interface TestContainerSpec {
	name: string;
	/** shell command run by sh -c; default: sleep for an hour */
	cmd?: string;
	/** health check shell command; interval 1 s unless given */
	health?: { cmd: string; intervalS?: number; retries?: number; startPeriodS?: number };
	labels?: Record<string, string>;
	memoryBytes?: number;
	restartPolicy?: 'no' | 'always' | 'on-failure';
	tty?: boolean;
	env?: string[];
	/** start it (default true) */
	start?: boolean;
	/**
	 * Stop it as a real service stops: SIGTERM to a PID 1 that ignores it (busybox sh/sleep, like
	 * Node without an init), so a stop or restart waits Docker's full stop timeout. Without it the
	 * container is stopped with SIGKILL at once (quick tests that do not care how it stops).
	 */
	ignoresTerm?: boolean;
	/** the container's own stop timeout (Config.StopTimeout, seconds); Docker's default is 10 */
	stopTimeoutS?: number;
}

export async function createTestContainer(
	docker: Docker,
	image: string,
	run: string,
	spec: TestContainerSpec
): Promise<Docker.Container> {
	const c = await docker.createContainer({
		name: spec.name,
		Image: image,
		Cmd: ['sh', '-c', spec.cmd ?? 'sleep 3600'],
		Tty: spec.tty ?? false,
		Env: spec.env,
		Labels: { [TEST_LABEL]: run, ...spec.labels },
		StopSignal: spec.ignoresTerm ? 'SIGTERM' : 'SIGKILL',
		StopTimeout: spec.stopTimeoutS,
		Healthcheck: spec.health
			? {
					Test: ['CMD-SHELL', spec.health.cmd],
					Interval: (spec.health.intervalS ?? 1) * SEC,
					Timeout: 2 * SEC,
					Retries: spec.health.retries ?? 1,
					StartPeriod: (spec.health.startPeriodS ?? 0) * SEC
				}
			: undefined,
		HostConfig: {
			NetworkMode: 'none',
			Memory: spec.memoryBytes,
			RestartPolicy: spec.restartPolicy ? { Name: spec.restartPolicy } : undefined
		}
	});
	if (spec.start !== false) await c.start();
	return c;
}

/** Removes every container of this run (force). */
export async function removeRun(docker: Docker, run: string): Promise<void> {
	const list = await docker.listContainers({
		all: true,
		filters: { label: [`${TEST_LABEL}=${run}`] }
	});
	await Promise.allSettled(list.map((c) => docker.getContainer(c.Id).remove({ force: true })));
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
	what: string,
	check: () => Promise<T | null | undefined | false>,
	timeoutMs = 20_000,
	stepMs = 250
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const v = await check();
		if (v) return v;
		if (Date.now() > deadline)
			throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await new Promise((r) => setTimeout(r, stepMs));
	}
}
