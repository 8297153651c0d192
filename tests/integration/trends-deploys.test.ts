// Deploy markers against the rig's real dockerd: a compose-labelled container started, then
// re-created from a different image (made here with `commit`, no pulls), then merely restarted.
// Only the first start (a new service) and the new image are deploys; the restart is not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { freshDb } from '../helpers/db';
import { requireDocker, rigEnv } from '../helpers/rig';
import { createDockerApi } from '../../src/lib/server/docker';
import { createDeployRecorder, deploysInRange } from '../../src/lib/server/trends/deploys';
import { createLogger } from '../../src/lib/server/log';
import { deploys as deploysTable } from '../../src/lib/server/db/schema';

describe('deploy recorder on Docker events', () => {
	const env = rigEnv();
	const run = `trends-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
	const project = `vmwtest-${run}`;
	let docker: Docker;
	let db: Awaited<ReturnType<typeof freshDb>>;
	let recorder: ReturnType<typeof createDeployRecorder>;
	const made: { containers: string[]; images: string[] } = { containers: [], images: [] };

	beforeAll(async () => {
		docker = await requireDocker(env);
		db = await freshDb();
		recorder = createDeployRecorder({
			api: createDockerApi({ host: env.dockerHost, timeoutMs: 5000 }),
			db: db.db,
			hostId: 'vm-test',
			log: createLogger('test-deploys'),
			retryMs: 500
		});
		recorder.start();
		for (let i = 0; i < 150 && !recorder.status().connected; i++)
			await new Promise((r) => setTimeout(r, 100));
		if (!recorder.status().connected)
			throw new Error(`deploy recorder did not connect: ${recorder.status().lastError}`);
	});
	afterAll(async () => {
		await recorder?.stop();
		for (const id of made.containers)
			await docker
				.getContainer(id)
				.remove({ force: true })
				.catch(() => {});
		for (const id of made.images)
			await docker
				.getImage(id)
				.remove({ force: true })
				.catch(() => {});
		await db?.cleanup();
	});

	async function startService(image: string) {
		const c = await docker.createContainer({
			Image: image,
			name: `${project}-web-1`,
			Cmd: ['sleep', '300'],
			Labels: {
				'vmwarden.test': run,
				'com.docker.compose.project': project,
				'com.docker.compose.service': 'web'
			},
			HostConfig: { NetworkMode: 'none' }
		});
		made.containers.push(c.id);
		await c.start();
		return c;
	}
	const ours = async () =>
		(await db.db.select().from(deploysTable)).filter((d) => d.key === `${project}/web`);

	it('with VMW_CONTAINER_LABELS set, records only the containers that carry those labels (as every container view)', async () => {
		const scopedDb = await freshDb();
		const scoped = createDeployRecorder({
			api: createDockerApi({ host: env.dockerHost, timeoutMs: 5000 }),
			db: scopedDb.db,
			hostId: 'vm-test',
			log: createLogger('test-deploys'),
			retryMs: 500,
			labels: [`vmwarden.test=${run}`, 'vmwarden.scope']
		});
		try {
			scoped.start();
			await expect.poll(() => scoped.status().connected, { timeout: 15_000 }).toBe(true);
			const start = async (service: string, labels: Record<string, string>) => {
				const c = await docker.createContainer({
					Image: env.testImage,
					name: `${project}-${service}-1`,
					Cmd: ['sleep', '300'],
					Labels: {
						'com.docker.compose.project': project,
						'com.docker.compose.service': service,
						...labels
					},
					HostConfig: { NetworkMode: 'none' }
				});
				made.containers.push(c.id);
				await c.start();
			};
			// in scope: both labels; out of scope: another run's value, or only one of the two labels
			await start('inscope', { 'vmwarden.test': run, 'vmwarden.scope': '' });
			await start('other', { 'vmwarden.test': `${run}-other`, 'vmwarden.scope': '' });
			await start('half', { 'vmwarden.test': run });
			// the main recorder (no filter) sees all three: by then the scoped one has had the events too
			await expect
				.poll(
					async () =>
						(await db.db.select().from(deploysTable)).filter(
							(d) => d.key.startsWith(`${project}/`) && d.key !== `${project}/web`
						).length,
					{ timeout: 15_000 }
				)
				.toBe(3);
			await new Promise((r) => setTimeout(r, 500));
			expect((await scopedDb.db.select().from(deploysTable)).map((d) => d.key)).toEqual([
				`${project}/inscope`
			]);
		} finally {
			await scoped.stop();
			await scopedDb.cleanup();
		}
	});

	it('records a new service and a new image, not a restart; markers come back by range', async () => {
		const t0 = Date.now();
		const first = await startService(env.testImage);
		const firstImageId = (await first.inspect()).Image;
		await expect.poll(async () => (await ours()).length, { timeout: 15_000 }).toBe(1);

		// a new image: commit the running container (a new image id, no pull), then re-create the service from it
		const committed = await first.commit({ repo: `vmw-test/${run}`, tag: 'v2' });
		made.images.push(committed.Id);
		await first.remove({ force: true });
		const second = await startService(`vmw-test/${run}:v2`);
		await expect.poll(async () => (await ours()).length, { timeout: 15_000 }).toBe(2);

		// a restart runs the same image: no deploy
		await second.restart({ t: 0 });
		await new Promise((r) => setTimeout(r, 1500));
		const rows = await ours();
		expect(rows).toHaveLength(2);
		expect(rows[0]).toMatchObject({
			container: `${project}-web-1`,
			imageId: firstImageId,
			previousImageId: null
		});
		expect(rows[1]).toMatchObject({
			container: `${project}-web-1`,
			image: `vmw-test/${run}:v2`,
			imageId: committed.Id,
			previousImageId: firstImageId
		});
		expect(rows[1].ts).toBeGreaterThanOrEqual(rows[0].ts);
		expect(rows[0].ts).toBeGreaterThanOrEqual(t0 - 1000);

		const markers = await deploysInRange(db.db, {
			hostId: 'vm-test',
			fromMs: t0 - 1000,
			toMs: Date.now()
		});
		expect(markers.filter((m) => m.container === `${project}-web-1`).map((m) => m.image)).toEqual([
			env.testImage,
			`vmw-test/${run}:v2`
		]);
		expect(
			await deploysInRange(db.db, { hostId: 'other-host', fromMs: 0, toMs: Date.now() })
		).toEqual([]);
	});
});
