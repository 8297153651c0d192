import { describe, expect, it } from 'vitest';
import { getEventListeners } from 'node:events';
import { PassThrough } from 'node:stream';
import { freshDb } from '../../../../tests/helpers/db';
import { deploys as deploysTable } from '../db/schema';
import { createDeployRecorder, deployKey, noteImage } from './deploys';
import type { DockerApi } from '../docker';
import type { Db } from '../db';

describe('deploys', () => {
	it('keys a container by its compose service, else its name', () => {
		expect(
			deployKey('/shop-web-1', {
				'com.docker.compose.project': 'shop',
				'com.docker.compose.service': 'web'
			})
		).toBe('shop/web');
		expect(deployKey('/standalone', {})).toBe('standalone');
	});

	it('a new image id for a key is a deploy; the same image again (a restart) is not', () => {
		const known = new Map<string, string>();
		const seen = (imageId: string, ts = 1) => ({
			ts,
			key: 'shop/web',
			container: 'shop-web-1',
			image: 'shop:1',
			imageId
		});
		// the first listing only learns what runs
		expect(noteImage(known, seen('sha256:a'), { baseline: true })).toBeNull();
		expect(noteImage(known, seen('sha256:a', 2))).toBeNull();
		expect(noteImage(known, seen('sha256:b', 3))).toEqual({
			...seen('sha256:b', 3),
			previousImageId: 'sha256:a'
		});
		// a service that appears after start-up is a deploy too
		expect(
			noteImage(known, {
				ts: 4,
				key: 'shop/worker',
				container: 'w',
				image: 'w:1',
				imageId: 'sha256:c'
			})
		).toMatchObject({ key: 'shop/worker', previousImageId: null });
	});
});

describe('deploy recorder while Docker is down', () => {
	it('retries without piling abort listeners on its lifelong signal, and stops at once', async () => {
		let signal: AbortSignal | undefined;
		let calls = 0;
		const api = {
			events: async (o: { signal: AbortSignal }) => {
				signal = o.signal;
				calls++;
				throw new Error('connect ENOENT /nonexistent/docker.sock');
			}
		};
		const quiet = { debug() {}, info() {}, warn() {}, error() {} };
		const rec = createDeployRecorder({
			api: api as unknown as DockerApi,
			db: null as unknown as Db,
			hostId: 'h',
			log: quiet,
			retryMs: 2
		});
		rec.start();
		// the waits double from 2 ms while Docker stays down (retry.ts): 8 attempts in about half a second
		while (calls < 8) await new Promise((r) => setTimeout(r, 2));
		// at most the one retry wait in progress holds a listener (each retry left one before)
		expect(getEventListeners(signal!, 'abort').length).toBeLessThanOrEqual(1);
		const t0 = Date.now();
		await rec.stop();
		expect(Date.now() - t0).toBeLessThan(1000);
		expect(getEventListeners(signal!, 'abort')).toEqual([]);
	});
});

describe('deploy recorder and the replay after a re-attach', () => {
	// shop/web went A → B → C while the stream was down (B and C are 2 s apart, within one
	// listing); on the re-attach the listing shows C only, and Docker then replays B's and C's
	// create events. Before the listing's floor they are history: recording B's would say the
	// service went back from C to B.
	it('records the gap once, from the listing, and skips replayed events from before it', async () => {
		const db = await freshDb();
		const s = 1_796_700_000; // epoch seconds
		const containers: Record<string, { created: number; image: string }> = {
			a: { created: s, image: 'sha256:a' },
			b: { created: s + 100, image: 'sha256:b' },
			c: { created: s + 102, image: 'sha256:c' },
			d: { created: s + 200, image: 'sha256:d' }
		};
		let listing = ['a'];
		const streams: PassThrough[] = [];
		const labels = {
			'com.docker.compose.project': 'shop',
			'com.docker.compose.service': 'web'
		};
		const api = {
			async listContainers() {
				return listing.map((id) => ({
					Id: id,
					Names: ['/shop-web-1'],
					Created: containers[id].created,
					Image: `shop:${id}`,
					ImageID: containers[id].image,
					Labels: labels
				}));
			},
			async inspectContainer(id: string) {
				return {
					Name: '/shop-web-1',
					Image: containers[id].image,
					Config: { Image: `shop:${id}`, Labels: labels }
				};
			},
			async events(o: { signal: AbortSignal }) {
				const st = new PassThrough();
				o.signal.addEventListener('abort', () => st.destroy(), { once: true });
				streams.push(st);
				return st;
			}
		};
		// an event line as Docker writes it, `ms` after the epoch
		const ev = (action: string, id: string, ms: number) =>
			`{"Type":"container","Action":"${action}","id":"${id}","Actor":{"ID":"${id}","Attributes":{}},"time":${Math.floor(ms / 1000)},"timeNano":${BigInt(ms) * 1_000_000n + 123n}}\n`;
		const rec = createDeployRecorder({
			api: api as unknown as DockerApi,
			db: db.db,
			hostId: 'h',
			log: { debug() {}, info() {}, warn() {}, error() {} },
			retryMs: 2
		});
		const rows = async () =>
			(await db.db.select().from(deploysTable)).map((r) => [r.ts, r.imageId, r.previousImageId]);
		try {
			rec.start();
			await expect.poll(() => rec.status().connected).toBe(true);
			// the first listing only learns what runs; then the stream is cut and B, C deployed
			listing = ['c'];
			streams[0].end();
			await expect.poll(() => streams.length === 2 && rec.status().connected).toBe(true);
			streams[1].write(
				ev('create', 'b', (s + 100) * 1000 + 300) +
					ev('start', 'b', (s + 100) * 1000 + 400) +
					ev('create', 'c', (s + 102) * 1000 + 300) +
					ev('start', 'c', (s + 102) * 1000 + 400)
			);
			await new Promise((r) => setTimeout(r, 50));
			expect(await rows()).toEqual([[(s + 102) * 1000, 'sha256:c', 'sha256:a']]);
			// a live deploy after the listing is recorded as always
			listing = ['d'];
			streams[1].write(ev('create', 'd', (s + 200) * 1000 + 300));
			await expect.poll(async () => (await rows()).length).toBe(2);
			expect((await rows())[1]).toEqual([(s + 200) * 1000 + 300, 'sha256:d', 'sha256:c']);
		} finally {
			await rec.stop();
			await db.cleanup();
		}
	});
});
