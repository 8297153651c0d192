import { describe, expect, it } from 'vitest';
import { composeDigest, topAction, type DigestData } from './compose';
import { DEFAULT_THRESHOLDS as T } from '../host/thresholds';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const t = {
	stealWarnPct: T.stealWarnPct,
	stealEscalatePct: 10,
	swapUsedWarnBytes: T.swapUsedWarnBytes,
	memAvailableWarnBytes: T.memAvailableWarnBytes,
	diskWarnPct: T.diskWarnPct,
	diskCritPct: T.diskCritPct
};

// The roadmap's example week (ROADMAP 4.3), as figures.
const week: DigestData = {
	host: 'srv1491630',
	weekEnding: '2026-06-01',
	stealAvgPct: 8.2,
	diskUsedPct: 37.4,
	freedBytes: 257 * MiB,
	memAvailableAvgBytes: 10 * GiB,
	swapPeakBytes: 1.4 * GiB,
	unhealthy: ['web-1', 'web-2', 'web-3', 'web-4', 'web-5', 'web-6', 'invttrdg-backend'],
	llms: [
		{ model: 'qwen2.5-coder:1.5b', sessions: 3 },
		{ model: 'llama3.2:3b', sessions: 0 }
	],
	cleanups: { standard: 1, weekly: 0, full: 0 },
	nextFull: '2026-06-01',
	cronProblems: [],
	source: 'Prometheus'
};

describe('composeDigest', () => {
	it('renders the roadmap example week in its order, exactly', () => {
		// 8.2 > 5 % warn → ⚠️; 37.4 → 37 %; 1.4 GiB swap is under the 1.5 GiB warn (decision 0002) → ✓;
		// 10 GiB available ≥ 2 GiB → ✓; llama3.2 had no session this week → not listed
		expect(composeDigest(week, t)).toBe(
			[
				'📊 <b>Weekly VM Digest — srv1491630</b>',
				'Week ending 2026-06-01',
				'',
				'🖥 CPU Steal: 8.2% avg ⚠️ (host contention — escalate if > 10%)',
				'💾 Disk: 37% (freed 257 MiB this week via cleanup)',
				'🧠 RAM: 10.0 GiB free avg ✓',
				'🔄 Swap peak: 1.4 GiB ✓',
				'🐳 Containers: 7 unhealthy (action required)',
				'🤖 LLMs run: qwen2.5-coder:1.5b (3 sessions this week)',
				'🧹 Cleanups: 1 standard, 0 full',
				'📅 Next full: 2026-06-01',
				'',
				'<b>Top action:</b> Restart 7 unhealthy containers (web-1, web-2, web-3, web-4, web-5, …)',
				'<i>Figures from Prometheus</i>'
			].join('\n')
		);
	});

	it('a quiet week: ✓ everywhere, no data said plainly, names escaped', () => {
		const text = composeDigest(
			{
				...week,
				host: 'a<b>',
				stealAvgPct: 1.25,
				swapPeakBytes: 2 * GiB,
				memAvailableAvgBytes: null,
				unhealthy: [],
				llms: [],
				freedBytes: 1.5 * GiB,
				nextFull: null
			},
			t
		);
		expect(text.split('\n')).toEqual([
			'📊 <b>Weekly VM Digest — a&lt;b&gt;</b>',
			'Week ending 2026-06-01',
			'',
			'🖥 CPU Steal: 1.3% avg ✓', // 1.25 rounds half up to 1.3
			'💾 Disk: 37% (freed 1.5 GiB this week via cleanup)',
			'🧠 RAM: no data',
			'🔄 Swap peak: 2.0 GiB ⚠️',
			'🐳 Containers: 0 unhealthy ✓',
			'🤖 LLMs run: none this week',
			'🧹 Cleanups: 1 standard, 0 full',
			'📅 Next full: not scheduled',
			'',
			'<b>Top action:</b> Find what pushed swap to 2.0 GiB',
			'<i>Figures from Prometheus</i>'
		]);
	});

	it('names the top grower on the swap peak line, escaped', () => {
		const text = composeDigest(
			{
				...week,
				swapPeakBytes: 2 * GiB,
				swapTopGrower: 'phi3:mini loaded at 03:02 (2.6 GB) <peak Tue 03:10>'
			},
			t
		);
		expect(text.split('\n')[6]).toBe(
			'🔄 Swap peak: 2.0 GiB ⚠️ — top grower: phi3:mini loaded at 03:02 (2.6 GB) &lt;peak Tue 03:10&gt;'
		);
		expect(composeDigest({ ...week, swapTopGrower: null }, t).split('\n')[6]).toBe(
			'🔄 Swap peak: 1.4 GiB ✓'
		);
	});

	it('top action picks the most urgent problem', () => {
		const calm = { ...week, unhealthy: [], swapPeakBytes: 0, stealAvgPct: 1 };
		expect(topAction({ ...calm, diskUsedPct: 71 }, t)).toBe(
			'Free disk space: 71 % used (run a full cleanup)'
		);
		expect(topAction({ ...calm, cronProblems: ['backup'] }, t)).toBe('Fix the cron job backup');
		expect(topAction({ ...calm, stealAvgPct: 12 }, t)).toBe(
			'Escalate CPU steal (12.0 % avg) to the hosting provider'
		);
		expect(topAction(calm, t)).toBe('Nothing: all clear');
		expect(topAction({ ...calm, unhealthy: null }, t)).toBe('Check why Docker does not answer');
	});
});
