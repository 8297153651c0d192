import { describe, expect, it } from 'vitest';
import { imageFreshness } from './freshness';

const DAY = 86_400_000;
const NOW = 1_800_000_000_000;

describe('imageFreshness', () => {
	it('flags images built more than maxAgeDays ago; exactly 30 days is still fresh', () => {
		const rows = imageFreshness({
			containers: [
				{ name: 'old', stack: 's', image: 'acme/old:1', imageId: 'sha256:a' },
				{ name: 'edge', stack: 's', image: 'acme/edge:1', imageId: 'sha256:b' },
				{ name: 'new', stack: null, image: 'acme/new:1', imageId: 'sha256:c' },
				{ name: 'gone', stack: null, image: 'acme/gone:1', imageId: 'sha256:d' }
			],
			images: [
				{ id: 'sha256:a', createdAt: NOW - 31 * DAY },
				{ id: 'sha256:b', createdAt: NOW - 30 * DAY },
				{ id: 'sha256:c', createdAt: NOW - DAY }
			],
			maxAgeDays: 30,
			now: NOW
		});
		expect(rows.map((r) => [r.name, r.ageDays, r.stale])).toEqual([
			['old', 31, true],
			['edge', 30, false],
			['new', 1, false],
			['gone', null, false]
		]);
	});
});
