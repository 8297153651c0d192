import { describe, expect, it } from 'vitest';
import { formatScore } from './commands/score';
import { computeScore, DAY_MS } from '../lib/server/score/score';
import { main } from './vmwarden';

const GiB = 1024 ** 3;
const AT = Date.UTC(2026, 10, 29, 12, 0, 0);

describe('vmwarden score', () => {
	it('prints the total, each dimension with its rule, unknowns and the actions', () => {
		const s = computeScore({
			hostId: 'vm',
			at: AT,
			steal: { ok: true, stealPct: 8.2 },
			memory: { ok: true, availableBytes: 5 * GiB },
			disk: { ok: true, usedPct: 48, mount: '/' },
			services: { ok: false, reason: 'Docker unavailable: connect ENOENT' },
			maintenance: { ok: true, lastCleanupAt: AT - 12 * DAY_MS, freedBytes: 1 },
			llm: { ok: true, freeBytes: 5 * GiB }
		});
		// 10 + 15 + 10 + 8 + 7 = 50 of 80 → 62.5 → 63
		expect(
			formatScore({
				...s,
				actions: [
					{
						id: 'cleanup',
						dimension: 'maintenance',
						text: 'Last cleanup 12 days ago',
						value: 7,
						href: '/maintenance?focus=cleanup'
					}
				]
			})
		).toBe(
			[
				'vm score 63/100 at 2026-11-29T12:00:00.000Z',
				'  (Scaled over 5 of 6 dimensions (80 of 100 points): service health is unknown)',
				'  CPU efficiency       10/20  steal 8.2 % (5 % ≤ steal < 10 % → 10)',
				'  Memory pressure      15/20  available 5.0 GiB (3 GiB < available ≤ 6 GiB → 15)',
				'  Disk health          10/15  / 48.0 % used (40 % ≤ used < 55 % → 10)',
				'  Service health        ?/20  unknown: Docker unavailable: connect ENOENT',
				'  Maintenance hygiene   8/15  last cleanup 12 days ago (7–30 days → 8)',
				'  LLM readiness         7/10  5.0 GiB free for a model (4 GiB < free ≤ 8 GiB → 7)',
				'top actions:',
				'  1. Last cleanup 12 days ago (7 points)'
			].join('\n')
		);
	});

	it('is listed in usage and an unreachable server is exit 3', async () => {
		const out: string[] = [];
		const err: string[] = [];
		const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
		await main([], {}, io, new AbortController().signal);
		expect(out.join('\n')).toMatch(/^ {2}score +the VM score/m);
		expect(
			await main(['score', '--url', 'http://127.0.0.1:1'], {}, io, new AbortController().signal)
		).toBe(3);
		expect(err.at(-1)).toMatch(/^vmwarden score: http:\/\/127\.0\.0\.1:1: /);
	});
});
