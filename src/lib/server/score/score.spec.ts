import { describe, expect, it } from 'vitest';
import {
	computeScore,
	DAY_MS,
	DEFAULT_BOUNDARIES,
	scoreDisk,
	scoreLlm,
	scoreMaintenance,
	scoreMemory,
	scoreServices,
	scoreSteal,
	type ScoreInputs
} from './score';

const GiB = 1024 ** 3;
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
// "just below / above" a boundary: far enough to be a different number, close enough to be the same tier
const E = 0.01;

// Expected points are the roadmap's table (Phase 3.1), read off by hand for each value.
describe('CPU efficiency (steal, 15-minute average): < 2 = 20, < 5 = 15, < 10 = 10, else 5', () => {
	it.each([
		[0, 20],
		[2 - E, 20],
		[2, 15],
		[2 + E, 15],
		[5 - E, 15],
		[5, 10],
		[5 + E, 10],
		[8.2, 10],
		[10 - E, 10],
		[10, 5],
		[10 + E, 5],
		[100, 5]
	])('steal %f %% → %i', (steal, points) => {
		expect(scoreSteal(steal).points).toBe(points);
	});
	it('says which rule matched and shows the input', () => {
		expect(scoreSteal(8.2)).toEqual({
			points: 10,
			input: 8.2,
			inputText: 'steal 8.2 %',
			rule: '5 % ≤ steal < 10 % → 10'
		});
		expect(scoreSteal(1).rule).toBe('steal < 2 % → 20');
		expect(scoreSteal(12).rule).toBe('steal ≥ 10 % → 5');
	});
});

describe('Memory pressure (MemAvailable, GiB): > 6 = 20, > 3 = 15, > 1 = 5, else 0', () => {
	it.each([
		[16, 20],
		[6 + E, 20],
		[6, 15],
		[6 - E, 15],
		[3 + E, 15],
		[3, 5],
		[3 - E, 5],
		[1 + E, 5],
		[1, 0],
		[1 - E, 0],
		[0, 0]
	])('available %f GiB → %i', (gib, points) => {
		expect(scoreMemory(gib * GiB).points).toBe(points);
	});
	it('is binary: 6 GB (decimal, 5.59 GiB) is not above 6 GiB', () => {
		expect(scoreMemory(6e9).points).toBe(15);
		expect(scoreMemory(6e9).inputText).toBe('available 5.6 GiB');
		expect(scoreMemory(4 * GiB).rule).toBe('3 GiB < available ≤ 6 GiB → 15');
	});
});

describe('Disk health (used %, fullest mount): < 40 = 15, < 55 = 10, < 70 = 5, else 0', () => {
	it.each([
		[0, 15],
		[40 - E, 15],
		[40, 10],
		[40 + E, 10],
		[55 - E, 10],
		[55, 5],
		[55 + E, 5],
		[70 - E, 5],
		[70, 0],
		[70 + E, 0],
		[100, 0]
	])('used %f %% → %i', (used, points) => {
		expect(scoreDisk(used, '/').points).toBe(points);
	});
	it('names the mount', () => {
		expect(scoreDisk(48.25, '/var/lib/docker')).toMatchObject({
			inputText: '/var/lib/docker 48.3 % used',
			rule: '40 % ≤ used < 55 % → 10'
		});
	});
});

describe('Service health (unhealthy containers): 0 = 20, 1–2 = 15, 3–5 = 8, 6+ = 2', () => {
	it.each([
		[0, 20, '0 unhealthy → 20'],
		[1, 15, '1–2 unhealthy → 15'],
		[2, 15, '1–2 unhealthy → 15'],
		[3, 8, '3–5 unhealthy → 8'],
		[5, 8, '3–5 unhealthy → 8'],
		[6, 2, '6+ unhealthy → 2'],
		[7, 2, '6+ unhealthy → 2'],
		[39, 2, '6+ unhealthy → 2']
	])('%i unhealthy → %i', (n, points, rule) => {
		expect(scoreServices(n)).toMatchObject({ points, rule, input: n });
	});
});

describe('Maintenance hygiene: < 7 days and freed > 0 = 15, < 30 days = 8, else 0', () => {
	const ago = (days: number) => NOW - days * DAY_MS;
	it.each([
		[0, 1, 15],
		[7 - E, 1, 15],
		[7, 1, 8],
		[7 + E, 1, 8],
		[12, 5e9, 8],
		[30 - E, 1, 8],
		[30, 1, 0],
		[30 + E, 1, 0],
		[400, 1, 0],
		// freed nothing (0 or not recorded): at most 8
		[1, 0, 8],
		[1, null, 8],
		[29, 0, 8],
		[31, 0, 0]
	])('%f days ago, freed %s bytes → %i', (days, freed, points) => {
		expect(scoreMaintenance(ago(days), freed, NOW).points).toBe(points);
	});
	it('no cleanup in a readable history is 0, with the reason', () => {
		expect(scoreMaintenance(null, null, NOW)).toEqual({
			points: 0,
			input: null,
			inputText: 'no cleanup recorded',
			rule: 'no cleanup in the history → 0'
		});
	});
	it('shows the age in whole days (hours under a day)', () => {
		expect(scoreMaintenance(ago(12.7), 1, NOW).inputText).toBe('last cleanup 12 days ago');
		expect(scoreMaintenance(ago(0.25), 1, NOW).inputText).toBe('last cleanup 6 h ago');
		expect(scoreMaintenance(ago(2), 0, NOW)).toMatchObject({
			inputText: 'last cleanup 2 days ago, freed nothing',
			rule: '< 7 days but freed nothing → 8'
		});
	});
});

describe('LLM readiness (free RAM, GiB): > 8 = 10, > 4 = 7, > 2 = 4, else 1', () => {
	it.each([
		[32, 10],
		[8 + E, 10],
		[8, 7],
		[8 - E, 7],
		[4 + E, 7],
		[4, 4],
		[4 - E, 4],
		[2 + E, 4],
		[2, 1],
		[2 - E, 1],
		[0, 1]
	])('free %f GiB → %i', (gib, points) => {
		expect(scoreLlm(gib * GiB).points).toBe(points);
	});
});

const allKnown = (over: Partial<ScoreInputs> = {}): ScoreInputs => ({
	hostId: 'vm',
	at: NOW,
	steal: { ok: true, stealPct: 8.2 }, // 10
	memory: { ok: true, availableBytes: 5 * GiB }, // 15
	disk: { ok: true, usedPct: 48, mount: '/' }, // 10
	services: { ok: true, unhealthy: 7 }, // 2
	maintenance: { ok: true, lastCleanupAt: NOW - 12 * DAY_MS, freedBytes: 1e9 }, // 8
	llm: { ok: true, freeBytes: 5 * GiB }, // 7
	...over
});

describe('computeScore', () => {
	it('sums the six dimensions when all are known (10+15+10+2+8+7 = 52)', () => {
		const s = computeScore(allKnown());
		expect(s.total).toBe(52);
		expect(s.points).toBe(52);
		expect(s.knownMax).toBe(100);
		expect(s.scaled).toBe(false);
		expect(s.note).toBeNull();
		expect(s.dimensions.map((d) => [d.id, d.points, d.max])).toEqual([
			['cpu', 10, 20],
			['memory', 15, 20],
			['disk', 10, 15],
			['services', 2, 20],
			['maintenance', 8, 15],
			['llm', 7, 10]
		]);
		expect(s.dimensions[0]).toMatchObject({
			summary: 'steal 8.2 % → 10/20',
			href: '/trends?metric=steal'
		});
		expect(s.dimensions.map((d) => d.href)).toEqual([
			'/trends?metric=steal',
			'/vm?focus=memory',
			'/trends?metric=disk',
			'/containers?filter=unhealthy',
			'/maintenance?focus=cleanup',
			'/models?focus=memory'
		]);
	});

	it('the memory dimension carries what grew as its reason when it lost points, and not at full marks', () => {
		const cause = 'MemAvailable −2.1 GiB since 03:00: phi3:mini loaded at 03:02 (2.6 GB)';
		// 5 GiB available → 15/20: lost points, the cause says why
		expect(
			computeScore(allKnown({ memory: { ok: true, availableBytes: 5 * GiB, cause } })).dimensions[1]
		).toMatchObject({ points: 15, cause });
		// 12 GiB available → 20/20: nothing to explain
		expect(
			computeScore(allKnown({ memory: { ok: true, availableBytes: 12 * GiB, cause } }))
				.dimensions[1].cause
		).toBeUndefined();
		expect(
			computeScore(allKnown({ memory: { ok: true, availableBytes: 5 * GiB, cause: null } }))
				.dimensions[1].cause
		).toBeUndefined();
	});

	it('a perfect VM is 100', () => {
		const s = computeScore(
			allKnown({
				steal: { ok: true, stealPct: 0.4 },
				memory: { ok: true, availableBytes: 12 * GiB },
				disk: { ok: true, usedPct: 20, mount: '/' },
				services: { ok: true, unhealthy: 0 },
				maintenance: { ok: true, lastCleanupAt: NOW - DAY_MS, freedBytes: 1 },
				llm: { ok: true, freeBytes: 12 * GiB }
			})
		);
		expect(s.total).toBe(100);
	});

	it('an unknown dimension is left out (never 0, never full marks) and the total is scaled', () => {
		// docker down: 52 - 2 = 50 points of 80 → 62.5 → 63
		const s = computeScore(
			allKnown({ services: { ok: false, reason: 'Docker unreachable: connect ENOENT' } })
		);
		expect(s.points).toBe(50);
		expect(s.knownMax).toBe(80);
		expect(s.total).toBe(63);
		expect(s.scaled).toBe(true);
		expect(s.unknown).toEqual(['services']);
		expect(s.note).toBe(
			'Scaled over 5 of 6 dimensions (80 of 100 points): service health is unknown'
		);
		const d = s.dimensions.find((x) => x.id === 'services')!;
		expect(d).toMatchObject({
			state: 'unknown',
			points: null,
			input: null,
			summary: 'unknown: Docker unreachable: connect ENOENT'
		});
	});

	it('two unknowns: scaled over the rest (cpu 10 + memory 15 + disk 10 + maintenance 8 = 43 of 70 → 61)', () => {
		const s = computeScore(
			allKnown({
				services: { ok: false, reason: 'docker down' },
				llm: { ok: false, reason: 'Ollama unreachable' }
			})
		);
		expect(s.points).toBe(43);
		expect(s.knownMax).toBe(70);
		expect(s.total).toBe(61); // 43/70 = 61.4
		expect(s.note).toBe(
			'Scaled over 4 of 6 dimensions (70 of 100 points): service health and LLM readiness are unknown'
		);
	});

	it('scaling keeps a dimension that scores 0 as 0 (known), unlike unknown', () => {
		const zero = computeScore(allKnown({ disk: { ok: true, usedPct: 90, mount: '/' } }));
		const unknown = computeScore(allKnown({ disk: { ok: false, reason: 'statfs failed' } }));
		expect(zero.total).toBe(42); // 52 - 10 + 0
		expect(unknown.total).toBe(49); // 42 of 85 = 49.4
	});

	it('nothing known: total null and says so', () => {
		const down = { ok: false as const, reason: 'down' };
		const s = computeScore({
			hostId: 'vm',
			at: NOW,
			steal: down,
			memory: down,
			disk: down,
			services: down,
			maintenance: down,
			llm: down
		});
		expect(s.total).toBeNull();
		expect(s.knownMax).toBe(0);
		expect(s.note).toBe('No dimension is known: every source is unavailable');
	});

	it('takes configured boundaries', () => {
		const b = {
			...DEFAULT_BOUNDARIES,
			stealPct: [1, 2, 3] as [number, number, number],
			unhealthy: [1, 3, 6] as [number, number, number]
		};
		const s = computeScore(
			allKnown({ steal: { ok: true, stealPct: 2.5 }, services: { ok: true, unhealthy: 1 } }),
			b
		);
		expect(s.dimensions[0]).toMatchObject({ points: 10, rule: '2 % ≤ steal < 3 % → 10' });
		expect(s.dimensions[3]).toMatchObject({ points: 20, rule: '0–1 unhealthy → 20' });
	});
});
