// The RAM-impact estimator at its boundaries. Every expected number is worked out in the
// comments from the fixture sizes (tests/fixtures/ollama/api-tags.json) and the formula.
import { describe, expect, it } from 'vitest';
import {
	assessImpact,
	estimateModelMemory,
	kvBytesPerToken,
	needsForce,
	parseParameterCount
} from './ram-impact';
import { formatGB } from '$lib/ollama';

const GiB = 1024 ** 3;
const KiB = 1024;
const vision = { name: 'llama3.2-vision:11b', sizeBytes: 7816589186, parameterSize: '10.7B' };
// 10.7B is in the <20B class: 160 KiB per token; × 4096 tokens = 671 088 640 bytes
const VISION_KV = 4096 * 160 * KiB;
const VISION_NEEDED = 7816589186 + VISION_KV; // 8 487 677 826
const thresholds = { memAvailableWarnBytes: 2 * GiB, memAvailableCritBytes: 1 * GiB };
const impactAt = (memAvailableBytes: number | null, model = vision) =>
	assessImpact({
		model,
		contextLength: 4096,
		memAvailableBytes,
		alreadyLoaded: false,
		...thresholds
	});

describe('parseParameterCount', () => {
	it.each([
		['10.7B', 10.7e9],
		['1.5B', 1.5e9],
		['137M', 137e6],
		['3b', 3e9],
		[' 70B ', 70e9],
		['1.2T', 1.2e12],
		['', null],
		[null, null],
		['7', null],
		['B', null],
		['1e9B', null],
		['-3B', null]
	])('%j -> %j', (s, n) => expect(parseParameterCount(s)).toBe(n));
});

describe('kvBytesPerToken (class boundaries are exclusive upper bounds)', () => {
	it.each([
		[137e6, 32 * KiB],
		[1.999e9, 32 * KiB],
		[2e9, 112 * KiB],
		[3.2e9, 112 * KiB],
		[5e9, 128 * KiB],
		[9.99e9, 128 * KiB],
		[10e9, 160 * KiB],
		[10.7e9, 160 * KiB],
		[20e9, 256 * KiB],
		[40e9, 320 * KiB],
		[405e9, 320 * KiB],
		[null, 160 * KiB],
		[0, 160 * KiB],
		[NaN, 160 * KiB]
	])('%d params -> %d bytes/token', (p, b) => expect(kvBytesPerToken(p)).toBe(b));
});

describe('estimateModelMemory', () => {
	it('is size on disk plus the KV cache for the context length', () => {
		expect(
			estimateModelMemory({ sizeBytes: 7816589186, parameterSize: '10.7B', contextLength: 4096 })
		).toEqual({
			weightsBytes: 7816589186,
			kvCacheBytes: 671088640,
			neededBytes: 8487677826,
			contextLength: 4096
		});
		// the KV cache grows linearly with the context: 8192 tokens is twice 4096's
		expect(
			estimateModelMemory({ sizeBytes: 0, parameterSize: '10.7B', contextLength: 8192 })
				.kvCacheBytes
		).toBe(2 * 671088640);
	});

	it('stays a floor close to what Ollama reported for the loaded fixture model', () => {
		// api-ps.loaded.json: qwen2.5-coder:1.5b at context 4096 takes 1 181 116 006 bytes; on disk 986 061 892.
		// estimate = 986 061 892 + 4096 × 32 KiB (134 217 728) = 1 120 279 620: below, within 6 %.
		const e = estimateModelMemory({
			sizeBytes: 986061892,
			parameterSize: '1.5B',
			contextLength: 4096
		});
		expect(e.neededBytes).toBe(1120279620);
		expect(e.neededBytes).toBeLessThanOrEqual(1181116006);
		expect(e.neededBytes / 1181116006).toBeGreaterThan(0.94);
	});
});

describe('assessImpact: MemAvailable after the load against the 2 GiB / 1 GiB thresholds', () => {
	it.each([
		// [MemAvailable, level, freeAfter]
		[VISION_NEEDED + 2 * GiB + 1e9, 'ok', 2 * GiB + 1e9],
		[VISION_NEEDED + 2 * GiB, 'ok', 2 * GiB], // exactly at warn: not below it
		[VISION_NEEDED + 2 * GiB - 1, 'warn', 2 * GiB - 1],
		[VISION_NEEDED + 1 * GiB, 'warn', 1 * GiB], // exactly at crit: not below it
		[VISION_NEEDED + 1 * GiB - 1, 'crit', 1 * GiB - 1],
		[VISION_NEEDED, 'crit', 0],
		[VISION_NEEDED - 1, 'crit', -1]
	] as const)('MemAvailable %d -> %s (free after %d)', (avail, level, free) => {
		const r = impactAt(avail);
		expect(r.level).toBe(level);
		expect(r.freeAfterBytes).toBe(free);
		expect(r.neededBytes).toBe(VISION_NEEDED);
	});

	it("says the roadmap's sentence for a warn", () => {
		// MemAvailable 9 460 623 kB = 9 687 677 952 bytes; minus 8 487 677 826 needed = 1 200 000 126 ≈ 1.2 GB (< 2 GiB: warn)
		const r = impactAt(9460623 * 1024, { ...vision, name: 'llama3.2-vision:latest' });
		expect(r.level).toBe('warn');
		expect(r.message).toBe(
			'Loading llama3.2-vision (7.8 GB) will leave ~1.2 GB free — swap pressure likely'
		);
		expect(impactAt(9460623 * 1024).message).toBe(
			'Loading llama3.2-vision:11b (7.8 GB) will leave ~1.2 GB free — swap pressure likely'
		);
	});

	it('words ok, crit and does-not-fit plainly', () => {
		// 16e9 - 8 487 677 826 = 7 512 322 174 -> 7.5 GB
		expect(impactAt(16e9)).toMatchObject({
			level: 'ok',
			message: 'Loading llama3.2-vision:11b (7.8 GB) will leave ~7.5 GB free'
		});
		// 9.0e9 - 8 487 677 826 = 512 322 174 -> 0.5 GB, under 1 GiB
		expect(impactAt(9.0e9)).toMatchObject({
			level: 'crit',
			message:
				'Loading llama3.2-vision:11b (7.8 GB) will leave ~0.5 GB free — the VM will swap heavily'
		});
		expect(impactAt(6e9)).toMatchObject({
			level: 'crit',
			message:
				'Loading llama3.2-vision:11b (7.8 GB) needs ~8.5 GB but only 6.0 GB is available — the VM will swap heavily'
		});
	});

	it('costs nothing for a model already loaded, and cannot judge without MemAvailable', () => {
		expect(
			assessImpact({
				model: vision,
				contextLength: 4096,
				memAvailableBytes: 1e9,
				alreadyLoaded: true,
				...thresholds
			})
		).toMatchObject({
			level: 'ok',
			freeAfterBytes: 1e9,
			message: 'llama3.2-vision:11b (7.8 GB) is already loaded: loading it again costs no memory'
		});
		expect(impactAt(null)).toMatchObject({
			level: 'unknown',
			freeAfterBytes: null,
			message:
				'Loading llama3.2-vision:11b (7.8 GB) needs ~8.5 GB; MemAvailable is unknown, so its effect on RAM cannot be estimated'
		});
	});

	it.each([
		['ok', false],
		['warn', false],
		['crit', true],
		['unknown', true]
	] as const)('a %s load needs force: %s', (level, force) => expect(needsForce(level)).toBe(force));
});

describe('formatGB (decimal, as `ollama list` prints)', () => {
	it.each([
		[7816589186, '7.8 GB'],
		[986061892, '1.0 GB'],
		[274302450, '0.3 GB'],
		[99e6, '99 MB'],
		[0, '0 MB'],
		[-1.3e9, '-1.3 GB']
	])('%d -> %s', (b, s) => expect(formatGB(b)).toBe(s));
});
