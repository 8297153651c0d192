import type { PageServerLoad } from './$types';
import { hostCallerFor } from '$lib/server/host-choice';
import { TREND_IDS, TREND_RANGES, type TrendAnswer, type TrendRange } from '$lib/trends';

export const load: PageServerLoad = async (event) => {
	const asked = event.url.searchParams.get('range');
	const range: TrendRange = (TREND_RANGES as readonly string[]).includes(asked ?? '')
		? (asked as TrendRange)
		: '7d';
	const caller = hostCallerFor(event);
	// Each chart stands alone: one failing (even with a bug) never takes the page down.
	const answers = await Promise.all(
		TREND_IDS.map((metric) =>
			caller.trends.series({ metric, range }).catch((err: unknown): TrendAnswer => ({
				state: 'unavailable',
				reason: err instanceof Error ? err.message : String(err),
				lastGood: null,
				lastGoodAt: null,
				at: Date.now()
			}))
		)
	);
	return { range, trends: TREND_IDS.map((metric, i) => ({ metric, answer: answers[i] })) };
};
