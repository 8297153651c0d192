// The watchdog's periodic reconcile while detached from Docker (issue 24): a pass could only fail
// then, so it is skipped; the reattach runs one. Docker is a stand-in port that refuses (the real
// daemon stopping and starting under the watchdog is tests/integration/watchdog-reattach.test.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { freshDb } from '../../../../tests/helpers/db';
import { parseConfig } from '../config';
import { createWatchdog } from './watchdog';
import type { WatchdogDocker } from './docker-port';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe('watchdog reconcile while Docker is unreachable', () => {
	const cleanups: (() => Promise<void>)[] = [];
	afterEach(async () => {
		for (const c of cleanups.splice(0)) await c();
	});

	it('lists nothing while detached, and reconciles once attached again', async () => {
		const db = await freshDb();
		const dir = await mkdtemp(path.join(tmpdir(), 'vmw-wd-spec-'));
		cleanups.push(db.cleanup, () => rm(dir, { recursive: true, force: true }));
		let up = false;
		const list = vi.fn(async () => []);
		const docker = {
			ping: async () => {
				if (!up) throw new Error('connect ENOENT /run/docker.sock');
			},
			list,
			streamEvents: (_onEvent: unknown, signal: AbortSignal) =>
				new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }))
		} as unknown as WatchdogDocker;
		const watchdog = createWatchdog({
			docker,
			db: db.db,
			hostId: 'local',
			config: { ...parseConfig({}).watchdog, reconcileMs: 20 },
			holdFile: path.join(dir, 'no-hold'),
			logDir: dir,
			log: quiet
		});
		await watchdog.start();
		cleanups.unshift(() => watchdog.stop());
		// 25 reconcile periods detached: before, each one was a failed list call
		await new Promise((r) => setTimeout(r, 500));
		expect(watchdog.status().connected).toBe(false);
		expect(list).not.toHaveBeenCalled();

		up = true;
		watchdog.retryNow(); // what services.ts calls when the Docker adapter reaches Docker
		await vi.waitFor(() => expect(watchdog.status().connected).toBe(true));
		await vi.waitFor(() => expect(list).toHaveBeenCalled());
	});
});
