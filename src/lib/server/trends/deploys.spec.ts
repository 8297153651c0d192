import { describe, expect, it } from 'vitest';
import { getEventListeners } from 'node:events';
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
		while (calls < 30) await new Promise((r) => setTimeout(r, 2));
		// at most the one retry wait in progress holds a listener (30 retries each left one before)
		expect(getEventListeners(signal!, 'abort').length).toBeLessThanOrEqual(1);
		const t0 = Date.now();
		await rec.stop();
		expect(Date.now() - t0).toBeLessThan(1000);
		expect(getEventListeners(signal!, 'abort')).toEqual([]);
	});
});
