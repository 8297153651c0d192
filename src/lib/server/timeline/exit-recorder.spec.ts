// Exits reconstructed from container state on an attach (decision 0031): a fake list/inspect API
// (inspect answers shaped as dockerode's, only the fields read) over a fresh migrated SQLite file,
// with the tracker that also takes the replayed die events. The containers are the cases a gap
// longer than Docker's event buffer leaves: exited and left down, OOM-killed and restarted by the
// policy, started again by hand, finished before the gap, never started, removed meanwhile, a
// self-test container, and one vmwarden itself was restarting.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDb } from '../../../../tests/helpers/db';
import type { Db } from '../db';
import { actions, timelineEvents } from '../db/schema';
import { ContainerGoneError, type RawContainerInspect } from '../docker/api';
import { SELFTEST_LABEL } from '../watchdog/selftest';
import {
	createExitTracker,
	finishedAtOf,
	reconcileExits,
	type DockerEventLine
} from './exit-recorder';

const H = 'vm-test';
const T0 = Date.UTC(2026, 11, 8, 3, 0);
const at = (s: number) => T0 + s * 1000;
/** Docker's FinishedAt for T0 + s seconds, with nanoseconds as Docker writes them */
const finished = (s: number) => `${new Date(at(s)).toISOString().slice(0, 19)}.123456789Z`;
const ZERO = '0001-01-01T00:00:00Z';
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

interface Box {
	id: string;
	name: string;
	finishedAt: string;
	exitCode?: number;
	running?: boolean;
	oomKilled?: boolean;
	restartCount?: number;
	labels?: Record<string, string>;
	gone?: boolean;
}

function fakeDocker(boxes: Box[]) {
	const asked: { all?: boolean; labels?: string[] }[] = [];
	let listFails = false;
	return {
		asked,
		failList() {
			listFails = true;
		},
		api: {
			async listContainers(o?: { all?: boolean; labels?: string[] }) {
				asked.push(o ?? {});
				if (listFails) throw new Error('listContainers failed: connect ENOENT');
				return boxes.map((b) => ({ Id: b.id, Labels: b.labels ?? {} })) as never;
			},
			async inspectContainer(id: string) {
				const b = boxes.find((x) => x.id === id)!;
				if (b.gone) throw new ContainerGoneError(id);
				return {
					Id: b.id,
					Name: `/${b.name}`,
					RestartCount: b.restartCount ?? 0,
					Config: { Labels: { 'com.docker.compose.project': 'shop', ...b.labels } },
					State: {
						Running: b.running ?? false,
						Restarting: false,
						OOMKilled: b.oomKilled ?? false,
						ExitCode: b.exitCode ?? 0,
						FinishedAt: b.finishedAt
					}
				} as unknown as RawContainerInspect;
			}
		}
	};
}

/** the die event Docker sent for the exit at FinishedAt `s`: stamped 30 ms later (22–35 ms measured) */
const dieAfter = (s: number, id: string, name: string, exitCode: number): DockerEventLine => ({
	Type: 'container',
	Action: 'die',
	Actor: {
		ID: id,
		Attributes: { name, exitCode: String(exitCode), 'com.docker.compose.project': 'shop' }
	},
	timeNano: (at(s) + 30) * 1e6
});
const startEv = (s: number, id: string, name: string): DockerEventLine => ({
	Type: 'container',
	Action: 'start',
	Actor: { ID: id, Attributes: { name } },
	timeNano: at(s) * 1e6
});

describe('finishedAtOf', () => {
	it('reads FinishedAt to the nanosecond, and not Docker’s zero time', () => {
		expect(finishedAtOf('2026-12-08T03:04:31.092928968Z')).toEqual({
			ns: '1796699071092928968',
			ms: 1796699071092
		});
		// Docker drops trailing zeros from the fraction
		expect(finishedAtOf('2026-12-08T03:04:31.5Z')?.ns).toBe('1796699071500000000');
		expect(finishedAtOf('2026-12-08T03:04:31Z')?.ms).toBe(1796699071000);
		expect(finishedAtOf(ZERO)).toBeNull();
		expect(finishedAtOf('')).toBeNull();
		expect(finishedAtOf(undefined)).toBeNull();
	});
});

describe('reconcileExits', () => {
	let db: Db;
	let cleanup: () => Promise<void>;
	beforeEach(async () => {
		({ db, cleanup } = await freshDb());
	});
	afterEach(async () => cleanup());

	const rows = async () =>
		(await db.select().from(timelineEvents)).sort(
			(a, b) => a.ts - b.ts || (a.ref < b.ref ? -1 : 1)
		);

	function setup(boxes: Box[], restartCount = async () => 1) {
		const logged: string[] = [];
		const docker = fakeDocker(boxes);
		const tracker = createExitTracker({
			db,
			hostId: H,
			log: { ...quiet, info: (msg: string) => void logged.push(msg) },
			restartCount
		});
		const reconcile = (sinceMs: number) =>
			reconcileExits({
				api: docker.api,
				labels: ['vmwarden.scope=prod'],
				sinceMs,
				onStateExit: tracker.onStateExit
			});
		return { docker, tracker, reconcile, logged };
	}

	// the gap: events seen up to 03:00:10 (since = 03:00:09), the stream back at 03:05
	const SINCE = at(9);

	it('records each exit in the gap the state shows, marked as reconstructed; nothing else', async () => {
		const { docker, reconcile } = setup([
			{ id: 'aaa000000001', name: 'shop-api-1', finishedAt: finished(60), exitCode: 3 },
			{
				id: 'bbb000000001',
				name: 'shop-worker-1',
				finishedAt: finished(120),
				exitCode: 137,
				oomKilled: true,
				running: true,
				restartCount: 4
			},
			// the operator's `docker start` (RestartCount reset to 0)
			{ id: 'ccc000000001', name: 'shop-cron-1', finishedAt: finished(150), running: true },
			{ id: 'ddd000000001', name: 'shop-db-1', finishedAt: finished(-600), exitCode: 1 },
			{ id: 'eee000000001', name: 'shop-init-1', finishedAt: ZERO },
			{ id: 'fff000000001', name: 'shop-gone-1', finishedAt: finished(70), gone: true },
			{
				id: 'ggg000000001',
				name: 'vmw-selftest',
				finishedAt: finished(80),
				exitCode: 1,
				labels: { [SELFTEST_LABEL]: '1' }
			},
			{ id: 'hhh000000001', name: 'shop-web-1', finishedAt: finished(200), exitCode: 137 }
		]);
		// vmwarden's own restart of shop-web-1 around 03:03:20: listed as its action, not as an exit
		await db.insert(actions).values({
			hostId: H,
			ts: at(199),
			actor: 'watchdog',
			action: 'watchdog.restart',
			target: 'shop-web-1',
			input: '{}',
			outcome: 'ok',
			endedAt: at(202)
		});

		expect(await reconcile(SINCE)).toBe(3);

		expect(docker.asked).toEqual([{ all: true, labels: ['vmwarden.scope=prod'] }]);
		const got = await rows();
		expect(got.map((r) => [(r.ts - T0) / 1000, r.severity, r.container, r.stack, r.title])).toEqual(
			[
				[60.123, 'WARN', 'shop-api-1', 'shop', 'shop-api-1 exited (code 3)'],
				[
					120.123,
					'WARN',
					'shop-worker-1',
					'shop',
					'shop-worker-1 exited (code 137, SIGKILL, OOM-killed), restarted by Docker'
				],
				[150.123, 'info', 'shop-cron-1', 'shop', 'shop-cron-1 exited (code 0), started again']
			]
		);
		expect(got[0].ref).toBe(`aaa000000001@${BigInt(at(60)) * 1_000_000n + 123456789n}:state`);
		for (const r of got) expect(r.detail).toMatch(/^reconstructed from the container’s state/);
	});

	it('is idempotent with itself and with the replay, in either order', async () => {
		const { reconcile, tracker, logged } = setup([
			{ id: 'aaa000000001', name: 'shop-api-1', finishedAt: finished(60), exitCode: 3 },
			{ id: 'bbb000000001', name: 'shop-worker-1', finishedAt: finished(90), exitCode: 2 }
		]);
		// the replay delivered shop-worker-1's exit before: the state adds nothing for it
		await tracker.onEvent(dieAfter(90, 'bbb000000001', 'shop-worker-1', 2));
		expect(await reconcile(SINCE)).toBe(1);
		// a second attach over the same gap
		expect(await reconcile(SINCE)).toBe(0);
		expect((await rows()).map((r) => [r.title, r.ref.endsWith(':state')])).toEqual([
			['shop-api-1 exited (code 3)', true],
			['shop-worker-1 exited (code 2)', false]
		]);
		// the attach reconciles before its replay is read: a replayed die of shop-api-1's exit then
		// replaces the reconstructed row with the event's exact one, logged once
		await tracker.onEvent(dieAfter(60, 'aaa000000001', 'shop-api-1', 3));
		const after = await rows();
		expect(after.map((r) => [r.title, r.detail, r.ts - T0])).toEqual([
			[
				'shop-api-1 exited (code 3)',
				'seen in Docker’s event stream; not a vmwarden restart or stop',
				60_030
			],
			[
				'shop-worker-1 exited (code 2)',
				'seen in Docker’s event stream; not a vmwarden restart or stop',
				90_030
			]
		]);
		expect(await reconcile(SINCE)).toBe(0);
		expect(logged).toEqual([
			'container exited',
			'container exited (from its state, after a gap in Docker events)'
		]);
	});

	it('a reconstructed exit left down is marked when Docker’s policy starts it later', async () => {
		const { reconcile, tracker } = setup([
			{ id: 'aaa000000001', name: 'shop-api-1', finishedAt: finished(60), exitCode: 3 }
		]);
		await reconcile(SINCE);
		await tracker.onEvent(startEv(400, 'aaa000000001', 'shop-api-1'));
		expect((await rows()).map((r) => [r.title, r.ref.endsWith(':state')])).toEqual([
			['shop-api-1 exited (code 3), restarted by Docker', true]
		]);
	});

	it('Docker not answering the list fails the attach (the follower retries it)', async () => {
		const { docker, reconcile } = setup([]);
		docker.failList();
		await expect(reconcile(SINCE)).rejects.toThrow(/ENOENT/);
	});
});
