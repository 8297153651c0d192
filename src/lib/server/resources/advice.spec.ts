import { describe, expect, it } from 'vitest';
import { parseAllDocuments, type Document } from 'yaml';
import {
	adviseMemory,
	adviseOne,
	MiB,
	summariseMemory,
	type AdviceInput,
	type MemoryPoint
} from './advice';
import { categorise, LLM_NO_LIMIT_REASON } from './categories';
import { composeBytes, overrideYaml } from './override';

const H = 3_600_000;
const NOW = 1_800_000_000_000;

/** `minutes` 1-minute points ending at NOW, every one at `mean` (peak `peak` in the last one). */
function flat(minutes: number, mean: number, peak = mean): MemoryPoint[] {
	return Array.from({ length: minutes }, (_, i) => ({
		ts: NOW - (minutes - i) * 60_000,
		memUsedBytes: mean,
		memPeakBytes: i === minutes - 1 ? peak : mean
	}));
}

function input({
	history,
	...over
}: Partial<AdviceInput> & { category?: string; history?: MemoryPoint[] }): AdviceInput {
	return {
		name: 'shop-web-1',
		key: 'shop/web',
		stack: 'shop',
		service: 'web',
		categorised: categorise({
			labels: { 'vmwarden.category': over.category ?? 'frontend' },
			image: 'x',
			name: 'x'
		}),
		memLimitBytes: 256 * MiB,
		memUsedBytes: 20 * MiB,
		oomKills: [],
		...over,
		memory: summariseMemory(history ?? flat(24 * 60, 20 * MiB))
	};
}

const opts = { now: NOW, headroom: 1.5 };

describe('adviseOne: limit', () => {
	it.each([
		// [peak MiB, expected limit MiB] for a frontend (default 256), headroom 1.5:
		// 100 × 1.5 = 150 -> 192 (64-step), below 256: default
		[100, 256],
		// 170 × 1.5 = 255 -> 256: still the default
		[170, 256],
		// 171 × 1.5 = 256.5 -> rounds up to 320
		[171, 320],
		// 256 × 1.5 = 384, already a multiple of 64: 384 exactly
		[256, 384],
		// 1000 × 1.5 = 1500 -> 1536
		[1000, 1536]
	])('frontend, peak %i MiB -> limit %i MiB', (peakMiB, limitMiB) => {
		const r = adviseOne(
			input({ history: flat(24 * 60, 10 * MiB, peakMiB * MiB), memLimitBytes: 4096 * MiB }),
			opts
		);
		expect(r.status).toBe('advice');
		expect(r.peakBytes).toBe(peakMiB * MiB);
		expect(r.limitBytes).toBe(limitMiB * MiB);
	});

	it('a peak one byte over a 64 MiB step goes to the next step', () => {
		// (256 MiB + 1 byte) × 1.5 = 384 MiB + 1.5 bytes -> 448 MiB
		const r = adviseOne(
			input({ history: flat(24 * 60, 10 * MiB, 256 * MiB + 1), memLimitBytes: null }),
			opts
		);
		expect(r.limitBytes).toBe(448 * MiB);
	});

	it.each([
		['backend', 384, 128],
		['db', 1024, 512],
		['proxy', 128, 64],
		['cache', 128, 32],
		['monitoring', 256, 128],
		['git', 512, 256]
	])('%s with a tiny peak gets the roadmap default %i/%i MiB', (category, limitMiB, resMiB) => {
		const r = adviseOne(input({ category, history: flat(24 * 60, 3 * MiB) }), opts);
		expect([r.limitBytes, r.reservationBytes]).toEqual([limitMiB * MiB, resMiB * MiB]);
	});
});

describe('adviseOne: reservation from the median', () => {
	it.each([
		// backend default reservation 128: median 100 -> 112 (16-step), below 128 -> 128
		[100, 128],
		// median 128 exactly -> 128
		[128, 128],
		// median 129 -> 144
		[129, 144],
		// median 500 -> 512 but the limit is max(384, 500×1.5=750->768)=768: 512 stays
		[500, 512]
	])('backend, median %i MiB -> reservation %i MiB', (medMiB, resMiB) => {
		const r = adviseOne(input({ category: 'backend', history: flat(24 * 60, medMiB * MiB) }), opts);
		expect(r.reservationBytes).toBe(resMiB * MiB);
		expect(r.reservationBytes!).toBeLessThanOrEqual(r.limitBytes!);
	});
});

describe('adviseOne: collect 24 h first', () => {
	it.each([
		// 1439 minutes span 23 h 59 min: collect first; 1440 minutes span exactly 24 h: advice
		[1439, 'collect-first'],
		[1440, 'advice'],
		[0, 'collect-first']
	])('%i minutes of history -> %s', (minutes, status) => {
		const r = adviseOne(input({ history: flat(minutes, 20 * MiB) }), opts);
		expect(r.status).toBe(status);
		if (status === 'collect-first') {
			expect(r.limitBytes).toBeNull();
			expect(r.reason).toMatch(/^Collect 24 h first/);
		}
	});
});

describe('adviseOne: flags', () => {
	it.each([
		// [limit MiB, peak bytes, flags]; near-limit is strictly above 90 %
		[null, 20 * MiB, ['no-limit']],
		[100, 90 * MiB, []],
		[100, 90 * MiB + 1, ['near-limit']],
		[100, 100 * MiB, ['near-limit']]
	])('limit %s MiB, peak %i bytes -> %o', (limitMiB, peak, flags) => {
		const r = adviseOne(
			input({
				memLimitBytes: limitMiB === null ? null : limitMiB * MiB,
				memUsedBytes: 1 * MiB,
				history: flat(60, 1 * MiB, peak)
			}),
			opts
		);
		expect(r.flags).toEqual(flags);
	});

	it('the current reading counts for near-limit even before it reaches the history', () => {
		const r = adviseOne(
			input({ memLimitBytes: 16 * MiB, memUsedBytes: 15 * MiB, history: [] }),
			opts
		);
		expect(r.flags).toEqual(['near-limit']);
	});

	it.each([
		// exactly 7 days ago counts; a millisecond earlier does not
		[NOW - 7 * 24 * H, 1],
		[NOW - 7 * 24 * H - 1, 0],
		[NOW - 60_000, 1]
	])('OOM kill at %i -> %i in the last 7 days', (at, n) => {
		const r = adviseOne(input({ oomKills: [{ at, source: 'docker-event' }] }), opts);
		expect(r.oomKills7d).toBe(n);
		expect(r.flags.includes('oom-killed')).toBe(n > 0);
	});
});

describe('adviseOne: llm', () => {
	it('never a limit for Ollama, with the roadmap reason, whatever its history', () => {
		const o = categorise({ labels: {}, image: 'ollama/ollama:latest', name: 'ollama' });
		const r = adviseOne(
			input({ categorised: o, memLimitBytes: null, history: flat(7 * 24 * 60, 6000 * MiB) }),
			opts
		);
		expect(r).toMatchObject({
			category: 'llm',
			status: 'never-limit',
			limitBytes: null,
			reservationBytes: null,
			reason: LLM_NO_LIMIT_REASON,
			flags: []
		});
		// and an llm that has a limit is flagged for it
		expect(adviseOne(input({ categorised: o, memLimitBytes: 8192 * MiB }), opts).flags).toEqual([
			'limit-on-llm'
		]);
	});
});

describe('overrideYaml', () => {
	const rows = adviseMemory(
		[
			input({}),
			input({ name: 'shop-db-1', key: 'shop/db', service: 'db', category: 'db' }),
			input({
				name: 'shop-ollama-1',
				key: 'shop/ollama',
				service: 'ollama',
				category: 'llm',
				memLimitBytes: null
			}),
			input({
				name: 'shop-new-1',
				key: 'shop/new',
				service: 'new',
				category: 'backend',
				history: flat(30, 5 * MiB)
			}),
			input({
				name: 'notes-api-1',
				key: 'notes/api',
				stack: 'notes',
				service: 'api',
				category: 'backend'
			}),
			// a name that needs quoting in YAML
			input({ name: 'yes', key: 'yes', stack: null, service: null, category: 'cache' })
		],
		opts
	);

	it('parses as YAML, one document per project, naming every service, limits only where advised', () => {
		const text = overrideYaml(rows, { generatedAt: NOW });
		const docs = parseAllDocuments(text);
		expect(Array.isArray(docs)).toBe(true);
		const parsed = (docs as Document.Parsed[]).map((d) => {
			expect(d.errors).toEqual([]);
			return d.toJS() as { services: Record<string, unknown> };
		});
		expect(parsed).toEqual([
			{ services: { yes: { mem_limit: '128m', mem_reservation: '32m' } } },
			{ services: { api: { mem_limit: '384m', mem_reservation: '128m' } } },
			{
				services: {
					db: { mem_limit: '1g', mem_reservation: '512m' },
					new: {},
					ollama: {},
					web: { mem_limit: '256m', mem_reservation: '64m' }
				}
			}
		]);
		expect(text).toContain('Never set a limit on Ollama');
		expect(text).toContain('Collect 24 h first');
	});

	it('compose byte values', () => {
		expect([
			composeBytes(1024 * MiB),
			composeBytes(2048 * MiB),
			composeBytes(320 * MiB),
			composeBytes(1536 * MiB)
		]).toEqual(['1g', '2g', '320m', '1536m']);
	});
});
