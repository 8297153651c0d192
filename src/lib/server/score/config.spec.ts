import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../config';
import { DEFAULT_BOUNDARIES } from './score';

const GiB = 1024 ** 3;

describe('VMW_SCORE_* boundaries', () => {
	it('default to the roadmap (memory in GiB, docs/decisions/0002) and to score.ts defaults', () => {
		const c = parseConfig({});
		expect(c.score.boundaries).toEqual(DEFAULT_BOUNDARIES);
		expect(c.score.boundaries.memAvailableBytes).toEqual([6 * GiB, 3 * GiB, 1 * GiB]);
		expect(c.score.intervalMs).toBe(300_000);
	});

	it('take comma-separated tiers', () => {
		const c = parseConfig({
			VMW_SCORE_STEAL_PCT: '1, 3,8',
			VMW_SCORE_LLM_FREE_GIB: '16,8,4',
			VMW_SCORE_CLEANUP_DAYS: '3,14'
		});
		expect(c.score.boundaries.stealPct).toEqual([1, 3, 8]);
		expect(c.score.boundaries.llmFreeBytes).toEqual([16 * GiB, 8 * GiB, 4 * GiB]);
		expect(c.score.boundaries.cleanupDays).toEqual([3, 14]);
	});

	it('list every bad one: wrong count, wrong order, not a number', () => {
		let err: ConfigError | null = null;
		try {
			parseConfig({
				VMW_SCORE_STEAL_PCT: '2,5',
				VMW_SCORE_MEM_AVAILABLE_GIB: '1,3,6',
				VMW_SCORE_DISK_USED_PCT: '40,x,70',
				VMW_SCORE_INTERVAL_S: '1'
			});
		} catch (e) {
			err = e as ConfigError;
		}
		expect(err).toBeInstanceOf(ConfigError);
		const names = err!.problems.map((p) => p.split(':')[0]).sort();
		expect(names).toEqual([
			'VMW_SCORE_DISK_USED_PCT',
			'VMW_SCORE_INTERVAL_S',
			'VMW_SCORE_MEM_AVAILABLE_GIB',
			'VMW_SCORE_STEAL_PCT'
		]);
		expect(err!.problems.find((p) => p.startsWith('VMW_SCORE_MEM'))).toContain(
			'expected 3 numbers of GiB, descending, comma-separated, like 6,3,1'
		);
	});
});
