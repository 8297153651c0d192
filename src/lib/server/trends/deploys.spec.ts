import { describe, expect, it } from 'vitest';
import { deployKey, noteImage } from './deploys';

describe('deploys', () => {
	it('keys a container by its compose service, else its name', () => {
		expect(deployKey('/shop-web-1', { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' })).toBe('shop/web');
		expect(deployKey('/standalone', {})).toBe('standalone');
	});

	it('a new image id for a key is a deploy; the same image again (a restart) is not', () => {
		const known = new Map<string, string>();
		const seen = (imageId: string, ts = 1) => ({ ts, key: 'shop/web', container: 'shop-web-1', image: 'shop:1', imageId });
		// the first listing only learns what runs
		expect(noteImage(known, seen('sha256:a'), { baseline: true })).toBeNull();
		expect(noteImage(known, seen('sha256:a', 2))).toBeNull();
		expect(noteImage(known, seen('sha256:b', 3))).toEqual({ ...seen('sha256:b', 3), previousImageId: 'sha256:a' });
		// a service that appears after start-up is a deploy too
		expect(noteImage(known, { ts: 4, key: 'shop/worker', container: 'w', image: 'w:1', imageId: 'sha256:c' })).toMatchObject({ key: 'shop/worker', previousImageId: null });
	});
});
