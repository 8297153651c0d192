// The reference stack (issue 20, docs/decisions/0018): ~40 containers on the rig's dockerd shaped
// like the roadmap's VM — its compose projects, names and the behaviours real stacks have (PID 1
// that ignores SIGTERM, a few with an init, health checks of every kind, an OOM loop, a heavy
// writer, Ollama without a limit, a stopped and an exited one). One definition, shared by the
// integration tests (globalSetup: tests/helpers/reference-stack.setup.ts), the bench and
// `npm run stack -- up|down`.
//
// Every container carries the test label (vmwarden.test=reference-stack: the rig's `down` removes
// it) and the hash of its own definition: `up` keeps a container whose definition is unchanged and
// recreates the others, so a second `up` costs one list call.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { TEST_LABEL } from './containers';
import { RIG_ENV_FILE } from './rig';

/** The test label's value on every stack container: scope the app with VMW_CONTAINER_LABELS=STACK_LABEL. */
export const STACK_RUN = 'reference-stack';
export const STACK_LABEL = `${TEST_LABEL}=${STACK_RUN}`;
/**
 * sha256 (12 hex) of the container's own create body: a changed definition is recreated. Only
 * stack containers carry it, so a test can scope the app to the stack plus a container of its own
 * with `VMW_CONTAINER_LABELS=DEFINITION_LABEL` (the key alone) and that label on its container
 * (with its own run label, not STACK_LABEL: `up` and `down` leave it alone, removeRun removes it).
 */
export const DEFINITION_LABEL = 'vmwarden.stack.definition';

const SEC = 1_000_000_000;
const MiB = 1024 * 1024;
/** busybox sleep as PID 1: no SIGTERM handler, so the kernel drops SIGTERM and a stop waits the full grace (as Node without an init) */
const FOREVER = 'exec sleep 2147483647';

/** The web containers' check fails while /tmp/down exists (`morning()` creates it); each start clears it. */
export const WEB_DOWN_FILE = '/tmp/down';
const WEB_CMD = `rm -f ${WEB_DOWN_FILE}; ${FOREVER}`;
const WEB_CHECK = `test ! -e ${WEB_DOWN_FILE} || { echo "wget: can't connect to remote host (127.0.0.1:3000): Connection refused"; exit 1; }`;

export interface StackHealth {
	cmd: string;
	intervalS: number;
	retries?: number;
	timeoutS?: number;
}

export interface StackContainer {
	name: string;
	project: string;
	service: string;
	/** com.docker.compose.container-number (a scaled service has 1, 2, ...) */
	number?: number;
	/** shell command (sh -c); default: sleep as PID 1, which ignores SIGTERM */
	cmd?: string;
	/** HostConfig.Init: docker-init is PID 1 and passes SIGTERM on: stops at once */
	init?: boolean;
	health?: StackHealth;
	memoryBytes?: number;
	restart?: 'unless-stopped' | 'on-failure' | 'no';
	/** seconds Docker waits after SIGTERM (compose stop_grace_period); default Docker's 10 */
	stopTimeoutS?: number;
	/** the state `up` leaves it in: running (default), stopped on purpose (docker stop), exited by itself */
	expect?: 'running' | 'stopped' | 'exited';
	/** what it stands for (decision 0018) */
	why: string;
}

const ok = (intervalS: number, more: Partial<StackHealth> = {}): StackHealth => ({
	cmd: 'true',
	intervalS,
	retries: 3,
	...more
});
const web = (project: string, name = `${project}-web`): StackContainer => ({
	name,
	project,
	service: 'web',
	cmd: WEB_CMD,
	health: { cmd: WEB_CHECK, intervalS: 10, retries: 3 },
	why: 'Next.js frontend (17–37 MB on the VM): one of the 7 that turn unhealthy together in the morning'
});

/**
 * The stack. Names and projects follow the roadmap (its memory table, its products trading /
 * notes / clock, the dashboard and the shared platform project); memory is tiny on purpose
 * (busybox sleep, a few MiB each): the shapes and behaviours matter here, not the sizes.
 */
export const REFERENCE_STACK: StackContainer[] = [
	// the shared platform (learning_ai_common_plat in the roadmap)
	{
		name: 'prometheus',
		project: 'learning_ai_common_plat',
		service: 'prometheus',
		init: true,
		health: ok(30),
		why: 'Go binary that handles SIGTERM: stops at once'
	},
	{
		name: 'cadvisor',
		project: 'learning_ai_common_plat',
		service: 'cadvisor',
		why: 'no health check'
	},
	{
		name: 'node-exporter',
		project: 'learning_ai_common_plat',
		service: 'node-exporter',
		init: true,
		why: 'stops at once, no health check'
	},
	{
		name: 'loki',
		project: 'learning_ai_common_plat',
		service: 'loki',
		init: true,
		health: ok(30),
		why: 'stops at once'
	},
	{
		name: 'caddy',
		project: 'learning_ai_common_plat',
		service: 'caddy',
		init: true,
		memoryBytes: 128 * MiB,
		health: ok(20),
		why: 'proxy with the roadmap limit (128m); stops at once'
	},
	{
		name: 'valkey',
		project: 'learning_ai_common_plat',
		service: 'valkey',
		init: true,
		memoryBytes: 128 * MiB,
		health: ok(15),
		why: 'cache with the roadmap limit (128m); stops at once'
	},
	{
		name: 'cosmosdb',
		project: 'learning_ai_common_plat',
		service: 'cosmosdb',
		health: { cmd: 'sleep 3', intervalS: 30, retries: 3, timeoutS: 10 },
		stopTimeoutS: 30,
		why: 'CosmosDB emulator: the slow (3 s) health check and a 30 s stop grace'
	},
	{
		name: 'postgres',
		project: 'learning_ai_common_plat',
		service: 'postgres',
		health: ok(30),
		why: 'db, no limit'
	},
	{
		name: 'minio',
		project: 'learning_ai_common_plat',
		service: 'minio',
		health: ok(30),
		why: 'object store, no limit'
	},
	{
		name: 'platform-service',
		project: 'learning_ai_common_plat',
		service: 'platform-service',
		health: ok(30),
		why: 'shared auth/platform layer'
	},
	{
		name: 'gitea',
		project: 'learning_ai_common_plat',
		service: 'gitea',
		health: ok(30),
		why: 'git'
	},
	{
		name: 'ollama',
		project: 'learning_ai_common_plat',
		service: 'ollama',
		why: 'Ollama: no limit, never advised one (roadmap 2.3)'
	},
	// the dashboard this app replaces
	{
		name: 'devops-backend',
		project: 'dashboard',
		service: 'backend',
		health: ok(30),
		why: 'the roadmap dashboard backend'
	},
	web('dashboard', 'devops-web'),
	// products
	{
		name: 'invttrdg-backend',
		project: 'invttrdg',
		service: 'backend',
		// 256 KiB/s into its own filesystem (overwritten, so the disk does not fill): ~22 GB/day, the roadmap's 0.3
		cmd: `(while :; do dd if=/dev/zero of=/var/tmp/ticks bs=64k count=4 conv=fsync 2>/dev/null; sleep 1; done) & ${FOREVER}`,
		health: ok(30),
		why: 'the heavy writer (roadmap 0.3: 22 GB/day of block writes)'
	},
	web('invttrdg'),
	{
		name: 'invttrdg-worker-1',
		project: 'invttrdg',
		service: 'worker',
		number: 1,
		why: 'a scaled service (container-number 1)'
	},
	{
		name: 'invttrdg-worker-2',
		project: 'invttrdg',
		service: 'worker',
		number: 2,
		why: 'a scaled service (container-number 2)'
	},
	{
		name: 'trading-backend',
		project: 'trading',
		service: 'backend',
		health: ok(20),
		why: 'active trading service'
	},
	web('trading'),
	{
		name: 'trading-scheduler',
		project: 'trading',
		service: 'scheduler',
		// one process grows until the 8 MiB limit kills it; Docker restarts it (backing off to once a minute)
		cmd: 'exec tail /dev/zero',
		memoryBytes: 8 * MiB,
		restart: 'on-failure',
		why: 'OOM-looping under a too small limit, restarted by Docker (on-failure)'
	},
	{
		name: 'trading-feed',
		project: 'trading',
		service: 'feed',
		// healthy for 60 s after each start, then its check fails for good: a restart helps (for a while)
		cmd: `rm -f /tmp/stale; (sleep 60; touch /tmp/stale) & ${FOREVER}`,
		health: {
			cmd: 'test ! -e /tmp/stale || { echo "feed stale: no tick for 60 s"; exit 1; }',
			intervalS: 10,
			retries: 3
		},
		why: 'turns unhealthy a while after each start (a leak): the watchdog has to heal it'
	},
	{ name: 'notes-backend', project: 'notes', service: 'backend', health: ok(30), why: 'backend' },
	web('notes'),
	{
		name: 'notes-search',
		project: 'notes',
		service: 'search',
		// fails in alternate 8 s windows: Docker flips healthy/unhealthy, the failing streak never reaches 3
		health: {
			cmd: 'test $(( $(date +%s) / 8 % 2 )) -eq 0 || { echo "search index busy"; exit 1; }',
			intervalS: 5,
			retries: 1
		},
		why: 'flapping health: shown as it is, never a restart (streak < 3)'
	},
	{ name: 'clock-backend', project: 'clock', service: 'backend', health: ok(30), why: 'backend' },
	web('clock'),
	{
		name: 'learnhub-backend',
		project: 'learnhub',
		service: 'backend',
		health: ok(30),
		why: 'backend'
	},
	web('learnhub'),
	{
		name: 'learnhub-worker',
		project: 'learnhub',
		service: 'worker',
		why: 'worker, no health check'
	},
	{ name: 'uma-backend', project: 'uma', service: 'backend', health: ok(30), why: 'backend' },
	web('uma'),
	{ name: 'uma-scheduler', project: 'uma', service: 'scheduler', why: 'no health check' },
	{
		name: 'analytics-backend',
		project: 'analytics',
		service: 'backend',
		health: ok(30),
		why: 'backend'
	},
	{ name: 'analytics-worker', project: 'analytics', service: 'worker', why: 'no health check' },
	{
		name: 'uptime-kuma',
		project: 'monitoring',
		service: 'uptime-kuma',
		health: ok(30),
		why: 'monitoring'
	},
	{ name: 'hermes-agent', project: 'hermes', service: 'agent', why: 'no health check' },
	{
		name: 'hermes-root-backup',
		project: 'hermes',
		service: 'backup',
		cmd: 'echo "fatal: Not possible to fast-forward, aborting." >&2; exit 1',
		restart: 'no',
		expect: 'exited',
		why: 'exited by itself (exit 1, restart no): the roadmap 2.2 backup job'
	},
	{
		name: 'hermes-webui',
		project: 'hermes',
		service: 'webui',
		expect: 'stopped',
		why: 'stopped on purpose (docker stop): the watchdog leaves it alone'
	}
];

/** The 7 web containers of the roadmap's morning. */
export const WEB_CONTAINERS = REFERENCE_STACK.filter((c) => c.service === 'web').map((c) => c.name);

function createBody(c: StackContainer, image: string): Docker.ContainerCreateOptions {
	const body: Docker.ContainerCreateOptions = {
		name: c.name,
		Image: image,
		Cmd: ['sh', '-c', c.cmd ?? FOREVER],
		Labels: {
			[TEST_LABEL]: STACK_RUN,
			'com.docker.compose.project': c.project,
			'com.docker.compose.service': c.service,
			'com.docker.compose.container-number': String(c.number ?? 1),
			'com.docker.compose.oneoff': 'False'
		},
		Healthcheck: c.health
			? {
					Test: ['CMD-SHELL', c.health.cmd],
					Interval: c.health.intervalS * SEC,
					Timeout: (c.health.timeoutS ?? 5) * SEC,
					Retries: c.health.retries ?? 3,
					StartPeriod: 0
				}
			: undefined,
		StopTimeout: c.stopTimeoutS,
		HostConfig: {
			NetworkMode: 'none',
			Init: c.init ?? false,
			// no swap: the OOM loop is killed at its limit, not paged out
			Memory: c.memoryBytes,
			MemorySwap: c.memoryBytes,
			RestartPolicy: { Name: c.restart ?? 'unless-stopped' },
			LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } }
		}
	};
	const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 12);
	body.Labels![DEFINITION_LABEL] = hash;
	return body;
}

async function eachLimited<T>(
	items: T[],
	limit: number,
	fn: (t: T) => Promise<void>
): Promise<void> {
	let i = 0;
	const errors: unknown[] = [];
	await Promise.all(
		Array.from({ length: limit }, async () => {
			while (i < items.length) {
				const item = items[i++];
				await fn(item).catch((e) => errors.push(e));
			}
		})
	);
	if (errors.length)
		throw new AggregateError(
			errors,
			`${errors.length} of ${items.length} failed: ${errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ')}`
		);
}

export interface StackUpResult {
	created: string[];
	reused: string[];
	/** stack containers not (or no longer) in the definition, or with an old one */
	removed: string[];
	ms: number;
}

/** Brings the stack to its definition: keeps what matches, recreates what changed, creates what is missing. */
export async function stackUp(docker: Docker, image: string): Promise<StackUpResult> {
	const t0 = performance.now();
	try {
		await docker.getImage(image).inspect();
	} catch (cause) {
		throw new Error(
			`image ${image} is missing on the daemon (the rig builds it: bash scripts/rig/rig.sh up)`,
			{ cause }
		);
	}
	const want = new Map(
		REFERENCE_STACK.map((c) => [c.name, { def: c, body: createBody(c, image) }])
	);
	const have = await docker.listContainers({ all: true, filters: { label: [STACK_LABEL] } });
	const reused: string[] = [];
	const stale: Docker.ContainerInfo[] = [];
	const restart: string[] = [];
	for (const info of have) {
		const name = info.Names[0]?.slice(1) ?? '';
		const w = want.get(name);
		const keep =
			w &&
			info.Labels[DEFINITION_LABEL] === w.body.Labels![DEFINITION_LABEL] &&
			stateFits(w.def, info.State);
		if (!keep) {
			stale.push(info);
			continue;
		}
		reused.push(name);
		want.delete(name);
		// a running one found stopped (a daemon restart, a test's stop): start it again
		if (
			(w.def.expect ?? 'running') === 'running' &&
			!['running', 'restarting'].includes(info.State)
		)
			restart.push(info.Id);
	}
	await eachLimited(stale, 8, (info) => docker.getContainer(info.Id).remove({ force: true }));
	// 304: started meanwhile (the container's restart policy, or another run bringing the stack up)
	await eachLimited(restart, 8, (id) =>
		docker
			.getContainer(id)
			.start()
			.catch((err: { statusCode?: number }) => {
				if (err.statusCode !== 304) throw err;
			})
	);
	const created = [...want.keys()];
	// parallel creates: the daemon's own work is the limit, 8 at a time keeps it busy without queueing
	await eachLimited([...want.values()], 8, async ({ def, body }) => {
		const c = await docker.createContainer(body);
		await c.start();
		if (def.expect === 'stopped') await c.stop({ t: 0 }); // `docker stop`: on purpose (the grace is not what this is about)
		if (def.expect === 'exited') await c.wait();
	});
	return {
		created,
		reused,
		removed: stale.map((s) => s.Names[0]?.slice(1) ?? s.Id),
		ms: performance.now() - t0
	};
}

/** Whether a container found in `state` can stay as the definition wants it. */
function stateFits(def: StackContainer, state: string): boolean {
	if ((def.expect ?? 'running') === 'running') return true; // started again when it is not running
	return state === 'exited'; // stopped on purpose / exited: anything else (started by hand) is recreated
}

/** Removes every stack container (force). */
export async function stackDown(docker: Docker): Promise<string[]> {
	const have = await docker.listContainers({ all: true, filters: { label: [STACK_LABEL] } });
	await eachLimited(have, 8, (info) => docker.getContainer(info.Id).remove({ force: true }));
	return have.map((c) => c.Names[0]?.slice(1) ?? c.Id);
}

// ---- leases: several users of one stack (a test run, the bench, `npm run stack -- up`); the last one out removes it

const LEASE_DIR = path.join(path.dirname(RIG_ENV_FILE), 'stack-leases');
/** `npm run stack -- up` holds this one until `npm run stack -- down`. */
export const MANUAL_LEASE = 'manual';

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (err) {
		return (err as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** Takes a lease named `owner` (a pid, `<pid>.<tag>`, or MANUAL_LEASE). */
export function takeLease(owner: string | number): void {
	mkdirSync(LEASE_DIR, { recursive: true });
	writeFileSync(path.join(LEASE_DIR, String(owner)), `${new Date().toISOString()}\n`);
}

/** Drops `owner`'s lease; true when no other live lease remains (the caller may remove the stack). */
export function releaseLease(owner: string | number): boolean {
	rmSync(path.join(LEASE_DIR, String(owner)), { force: true });
	return liveLeases().length === 0;
}

/** Leases still held: the manual one, and pids that are alive (a crashed run's lease is dropped). */
export function liveLeases(): string[] {
	let names: string[];
	try {
		names = readdirSync(LEASE_DIR);
	} catch {
		return [];
	}
	return names.filter((n) => {
		// a process's lease is named by its pid, optionally with a tag: 1234, 1234.bench
		const pid = /^(\d+)(\.[\w-]+)?$/.exec(n)?.[1];
		if (n === MANUAL_LEASE || (pid && alive(Number(pid)))) return true;
		rmSync(path.join(LEASE_DIR, n), { force: true });
		return false;
	});
}

/** `up` under a lease held by this process: for the bench and test runs. `release()` removes the stack when it was the last user. */
export async function useReferenceStack(
	docker: Docker,
	image: string,
	owner: string | number = process.pid
) {
	takeLease(owner);
	const result = await stackUp(docker, image);
	return {
		result,
		async release(): Promise<boolean> {
			if (!releaseLease(owner)) return false;
			await stackDown(docker);
			return true;
		}
	};
}

/** Makes the 7 web containers' health checks fail (each clears it when it starts again). */
export async function breakWebContainers(
	docker: Docker,
	names: string[] = WEB_CONTAINERS
): Promise<void> {
	await Promise.all(
		names.map(async (name) => {
			const exec = await docker
				.getContainer(name)
				.exec({ Cmd: ['touch', WEB_DOWN_FILE], AttachStdout: false, AttachStderr: false });
			await exec.start({ Detach: true });
		})
	);
}

/**
 * `count` more running replicas in the stack (project loadtest, service worker): for the bench's
 * scale figures. They carry the stack's label, so the app scoped to it sees them, and the next
 * `stackUp` or `stackDown` removes them too. Returns a function that removes them.
 */
export async function addReplicas(
	docker: Docker,
	image: string,
	count: number
): Promise<() => Promise<void>> {
	const names = Array.from({ length: count }, (_, i) => `loadtest-worker-${i + 1}`);
	await eachLimited(names, 8, async (name) => {
		const c = await docker.createContainer({
			name,
			Image: image,
			Cmd: ['sh', '-c', FOREVER],
			Labels: {
				[TEST_LABEL]: STACK_RUN,
				'com.docker.compose.project': 'loadtest',
				'com.docker.compose.service': 'worker',
				'com.docker.compose.container-number': name.slice('loadtest-worker-'.length)
			},
			HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'no' } }
		});
		await c.start();
	});
	return async () => {
		await eachLimited(names, 8, (name) => docker.getContainer(name).remove({ force: true }));
	};
}
