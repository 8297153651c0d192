// dockerd restarted under the watchdog: it reattaches to the event stream by itself and never
// acts on what it knew before the daemon went away. Uses its OWN dockerd (never the shared one).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listActions } from '../../src/lib/server/audit/actions';
import { rigEnv } from '../helpers/rig';
import { startOwnDockerd, type OwnDockerd } from '../helpers/own-dockerd';
import { createTestContainer, newRunId, waitFor } from '../helpers/containers';
import { sleep, startTestWatchdog } from '../helpers/watchdog';

const env = rigEnv();
const run = newRunId('wd-reattach');
let own: OwnDockerd;
let dir: string;

beforeAll(async () => {
	own = await startOwnDockerd({ image: env.testImage, rigHost: env.dockerHost });
	dir = await mkdtemp(path.join(tmpdir(), 'vmw-wd-hold-'));
}, 180_000);

afterAll(async () => {
	await own?.destroy();
	if (dir) await rm(dir, { recursive: true, force: true });
});

describe('watchdog: dockerd restarted mid-test', () => {
	it('reattaches, re-inspects, and does not act on stale state', { timeout: 150_000 }, async () => {
		const holdFile = path.join(dir, 'cleanup.hold');
		await writeFile(holdFile, 'test hold\n');
		// The periodic reconcile is slowed to 10 min: what happens after the restart comes from the
		// reattach (its re-inspection) and from the event stream.
		const w = await startTestWatchdog({
			dockerHost: own.host,
			run,
			holdFile,
			config: { reconcileMs: 600_000, cooldownBaseMs: 500, cooldownMaxMs: 1000 }
		});
		try {
			const fast = { cmd: 'test ! -e /tmp/fail', intervalS: 0.5, retries: 3 };
			// stale: unhealthy and held back by HOLD; no restart policy, so the daemon's restart leaves it exited
			const stale = await createTestContainer(own.docker, env.testImage, run, {
				name: `${run}-stale`,
				cmd: '(touch /tmp/fail) & while :; do sleep 1; done',
				health: fast
			});
			// fresh: restarted by the daemon (policy always), healthy for 4 s after each start, then failing
			const fresh = await createTestContainer(own.docker, env.testImage, run, {
				name: `${run}-fresh`,
				cmd: 'rm -f /tmp/fail; (sleep 4; touch /tmp/fail) & while :; do sleep 1; done',
				health: fast,
				restartPolicy: 'always'
			});
			await waitFor(
				'stale held by HOLD',
				async () =>
					w.watchdog.status().containers.find((c) => c.name === `${run}-stale`)?.reason ===
					'HOLD file present: test hold',
				20_000,
				100
			);
			const staleStartedAt = (await stale.inspect()).State.StartedAt;
			expect(w.watchdog.status()).toMatchObject({ connected: true, attaches: 1 });

			await own.stop();
			await waitFor(
				'the watchdog to notice',
				async () => !w.watchdog.status().connected,
				10_000,
				100
			);
			// The hold is lifted while the daemon is away: acting on the last known state now would restart `stale`.
			await rm(holdFile);
			await sleep(2000);
			await own.start();
			const backAt = Date.now();

			await waitFor(
				'reattached',
				async () => w.watchdog.status().connected && w.watchdog.status().attaches === 2,
				30_000,
				100
			);
			await waitFor(
				'fresh restarted by the watchdog after the reattach',
				async () =>
					(await listActions(w.db)).find(
						(a) => a.action === 'watchdog.restart' && a.target === `${run}-fresh`
					),
				40_000,
				200
			);
			await w.watchdog.idle();

			const acts = (await listActions(w.db)).filter((a) => a.action === 'watchdog.restart');
			expect(acts.map((a) => a.target)).toEqual([`${run}-fresh`]);
			expect(acts[0].ts).toBeGreaterThan(backAt);
			const staleNow = await stale.inspect();
			expect(staleNow.State.Status).toBe('exited');
			expect(staleNow.State.StartedAt).toBe(staleStartedAt);
			expect(w.watchdog.status().containers.find((c) => c.name === `${run}-stale`)).toMatchObject({
				status: 'exited',
				state: 'skipped'
			});
			const row = (await w.watchdog.store.recentRestarts()).find(
				(r) => r.containerName === `${run}-fresh`
			)!;
			expect(row.reactionMs).toBeLessThan(2000);
			expect(fresh.id).toBe(row.containerId);
		} finally {
			await w.stop();
		}
	});
});
