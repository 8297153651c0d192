// dockerd stopped mid-test: the adapter answers `unavailable` with the last good list, says
// so in health(), and recovers by itself when the daemon is back. Uses its OWN dockerd
// (tests/helpers/own-dockerd.ts), never the shared rig daemon.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	createDockerAdapter,
	createDockerApi,
	type DockerAdapter
} from '../../src/lib/server/docker';
import { createLogger } from '../../src/lib/server/log';
import { rigEnv } from '../helpers/rig';
import { startOwnDockerd, type OwnDockerd } from '../helpers/own-dockerd';
import { createTestContainer, newRunId, waitFor } from '../helpers/containers';

const env = rigEnv();
const run = newRunId('recovery');
let own: OwnDockerd;
let adapter: DockerAdapter;

beforeAll(async () => {
	own = await startOwnDockerd({ image: env.testImage, rigHost: env.dockerHost });
	await createTestContainer(own.docker, env.testImage, run, {
		name: `${run}-survivor`,
		restartPolicy: 'always'
	});
	adapter = createDockerAdapter({
		api: createDockerApi({ host: own.host, timeoutMs: 1000 }),
		intervalMs: 200,
		log: createLogger('test-recovery')
	});
}, 180_000);

afterAll(async () => {
	await adapter?.stop();
	await own?.destroy();
});

describe('docker adapter: daemon down and back', () => {
	it(
		'keeps the last good list while down and reconnects on its own',
		{ timeout: 120_000 },
		async () => {
			adapter.start();
			const first = await waitFor('first good list', async () => {
				const r = adapter.containers();
				return r.state === 'ok' && r.data.length === 1 ? r : null;
			});
			expect(first.state === 'ok' && first.data[0].name).toBe(`${run}-survivor`);
			expect(adapter.health().ok).toBe(true);

			await own.stop();
			const down = await waitFor('unavailable state', async () => {
				const r = adapter.containers();
				return r.state === 'unavailable' ? r : null;
			});
			if (down.state !== 'unavailable') throw new Error('unreachable');
			expect(down.reason).toMatch(/listContainers failed: .*(ECONNREFUSED|ECONNRESET|ENOENT)/);
			expect(down.lastGood?.map((c) => c.name)).toEqual([`${run}-survivor`]);
			expect(down.lastGoodAt).toBeGreaterThanOrEqual(first.at);
			expect(adapter.health()).toMatchObject({ ok: false });
			expect(adapter.health().detail).toMatch(/unavailable .* last good \d{4}-/);
			// find() still answers from the last good list, so pages can show it
			expect(adapter.find(`${run}-survivor`)?.name).toBe(`${run}-survivor`);

			await own.start();
			const back = await waitFor(
				'recovery without any call from the test',
				async () => {
					const r = adapter.containers();
					return r.state === 'ok' ? r : null;
				},
				60_000
			);
			expect(back.state === 'ok' && back.data.map((c) => c.name)).toEqual([`${run}-survivor`]);
			expect(adapter.status()).toMatchObject({ connected: true, running: true });
			expect(adapter.health().ok).toBe(true);
		}
	);
});
