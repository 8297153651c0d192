import { describe, expect, it } from 'vitest';
import type { Projection } from '$lib/trends';
import { computeScore, DAY_MS, type ScoreInputs } from './score';
import { topActions } from './actions';

const GiB = 1024 ** 3;
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
// llama3.2-vision as `ollama ps` reports it: 7 816 589 186 bytes, all in RAM (no GPU) = "7.8 GB"
const VISION = { name: 'llama3.2-vision:latest', ramBytes: 7_816_589_186 };

// The roadmap's VM: steal 8.2 % (10), 3.5 GiB available (15), disk 48 % (10), 7 unhealthy (2),
// last cleanup 12 days ago (8), 3.5 GiB free for a model (4).
const inputs = (over: Partial<ScoreInputs> = {}): ScoreInputs => ({
	hostId: 'vm',
	at: NOW,
	steal: { ok: true, stealPct: 8.2 },
	memory: { ok: true, availableBytes: 3.5 * GiB },
	disk: { ok: true, usedPct: 48, mount: '/' },
	services: { ok: true, unhealthy: 7 },
	maintenance: { ok: true, lastCleanupAt: NOW - 12.4 * DAY_MS, freedBytes: 2e9 },
	llm: { ok: true, freeBytes: 3.5 * GiB },
	...over
});

const growing = (targets: [number, number | null][]): Projection => ({
	status: 'growing',
	slopePctPerDay: 0.75,
	r2: 0.98,
	fitFromMs: NOW - 7 * DAY_MS,
	fitToMs: NOW,
	fitPoints: 100,
	stepDownAtMs: null,
	targets: targets.map(([pct, days]) => ({
		pct,
		days,
		atMs: days === null ? null : NOW + days * DAY_MS
	})),
	line: []
});

describe('topActions', () => {
	it("ranks the roadmap's four by points: restart (+18), unload (+11), cleanup (+7), disk (−5)", () => {
		const score = computeScore(inputs());
		const actions = topActions({
			score,
			disk: {
				mount: '/',
				projection: growing([
					[40, 0],
					[55, 9.3],
					[70, 29]
				])
			},
			loadedModels: [VISION]
		});
		// restart: 20 − 2; unload: 3.5 + 7.28 = 10.78 GiB → memory 15→20 (+5) and LLM 4→10 (+6);
		// cleanup: 15 − 8; disk: 48 % scores 10, 55 % scores 5
		expect(actions.map((a) => [a.text, a.value, a.href])).toEqual([
			['Restart 7 unhealthy containers', 18, '/containers?filter=unhealthy'],
			['Unload llama3.2-vision to free 7.8 GB', 11, '/models?focus=memory'],
			['Last cleanup 12 days ago', 7, '/maintenance?focus=cleanup'],
			['Disk reaches 55 % in 9 days', 5, '/trends?metric=disk']
		]);
	});

	it('a healthy VM has nothing to do', () => {
		const score = computeScore(
			inputs({
				memory: { ok: true, availableBytes: 10 * GiB },
				disk: { ok: true, usedPct: 20, mount: '/' },
				services: { ok: true, unhealthy: 0 },
				maintenance: { ok: true, lastCleanupAt: NOW - DAY_MS, freedBytes: 1 },
				llm: { ok: true, freeBytes: 10 * GiB }
			})
		);
		expect(
			topActions({
				score,
				loadedModels: [VISION],
				disk: {
					mount: '/',
					projection: growing([
						[40, 60],
						[55, 90],
						[70, 120]
					])
				}
			})
		).toEqual([]);
	});

	it('no disk action when the projection is beyond 30 days, not growing, or the next boundary is not projected', () => {
		const score = computeScore(inputs());
		const disk = (p: Projection) =>
			topActions({ score, disk: { mount: '/', projection: p } }).filter(
				(a) => a.dimension === 'disk'
			);
		expect(disk(growing([[55, 30.4]]))).toEqual([]);
		expect(disk(growing([[55, 29.6]])).map((a) => a.text)).toEqual([
			'Disk reaches 55 % in 30 days'
		]);
		expect(disk(growing([[55, 0.2]])).map((a) => a.text)).toEqual([
			'Disk reaches 55 % within a day'
		]);
		expect(disk({ ...growing([]), status: 'not-growing' })).toEqual([]);
		expect(disk(growing([[70, 3]]))).toEqual([]);
	});

	it('names a mount other than /, and uses the next boundary above today (70 % at 60 % used)', () => {
		const score = computeScore(
			inputs({ disk: { ok: true, usedPct: 60, mount: '/var/lib/docker' } })
		);
		const [a] = topActions({
			score,
			disk: {
				mount: '/var/lib/docker',
				projection: growing([
					[55, 0],
					[70, 1.4]
				])
			}
		}).filter((x) => x.dimension === 'disk');
		expect(a).toMatchObject({
			text: 'Disk /var/lib/docker reaches 70 % in 1 day',
			value: 5,
			id: 'disk-projection:/var/lib/docker'
		});
	});

	it('unknown dimensions give no action (Docker down: no restart; Ollama down and memory unknown: no unload)', () => {
		const score = computeScore(
			inputs({
				services: { ok: false, reason: 'docker down' },
				memory: { ok: false, reason: 'x' },
				llm: { ok: false, reason: 'ollama down' }
			})
		);
		expect(topActions({ score, loadedModels: [VISION] }).map((a) => a.id)).toEqual(['cleanup']);
	});

	it('an unload that changes no tier is not an action; several loaded models are ranked by gain', () => {
		const score = computeScore(
			inputs({
				memory: { ok: true, availableBytes: 3.5 * GiB },
				llm: { ok: true, freeBytes: 3.5 * GiB }
			})
		);
		// 0.3 GiB: 3.8 GiB is still 3–6 (15) and 2–4 (4); 1 GiB: 4.5 → LLM 7 (+3)
		const actions = topActions({
			score,
			loadedModels: [
				{ name: 'tiny:1b', ramBytes: 0.3 * GiB },
				{ name: 'qwen2.5-coder:1.5b', ramBytes: 1 * GiB },
				VISION
			]
		});
		expect(actions.filter((a) => a.dimension === 'llm').map((a) => [a.text, a.value])).toEqual([
			['Unload llama3.2-vision to free 7.8 GB', 11],
			['Unload qwen2.5-coder:1.5b to free 1.1 GB', 3]
		]);
	});

	it('maintenance: never cleaned (+15), cleaned recently but freed nothing (+7)', () => {
		const never = computeScore(
			inputs({ maintenance: { ok: true, lastCleanupAt: null, freedBytes: null } })
		);
		expect(topActions({ score: never }).find((a) => a.id === 'cleanup')).toMatchObject({
			text: 'No cleanup recorded: run one',
			value: 15
		});
		const nothing = computeScore(
			inputs({ maintenance: { ok: true, lastCleanupAt: NOW - 2 * DAY_MS, freedBytes: 0 } })
		);
		expect(topActions({ score: nothing }).find((a) => a.id === 'cleanup')).toMatchObject({
			text: 'Last cleanup 2 days ago freed nothing',
			value: 7
		});
	});

	it('equal values keep the order services, disk, LLM, maintenance', () => {
		// 1 unhealthy: 20 − 15 = 5; disk 48 → 55: 5; cleanup 8 days ago with freed: 15 − 8 = 7
		const score = computeScore(
			inputs({
				services: { ok: true, unhealthy: 1 },
				maintenance: { ok: true, lastCleanupAt: NOW - 8 * DAY_MS, freedBytes: 1 }
			})
		);
		expect(
			topActions({ score, disk: { mount: '/', projection: growing([[55, 2]]) } }).map((a) => [
				a.id,
				a.value
			])
		).toEqual([
			['cleanup', 7],
			['restart-unhealthy', 5],
			['disk-projection:/', 5]
		]);
	});
});
