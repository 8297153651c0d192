// The score as a background service (started from services.ts): recomputed every `refreshMs`
// (and on demand when older), pushed to subscribers when it changes, stored every `intervalMs`
// (5 minutes) with old rows pruned. Reads only; it never acts.
import type { ScoreHistoryPoint, ScoreReport } from '$lib/score';
import type { Logger } from '../log';
import { createEmitter } from '../emitter';
import { topActions } from './actions';
import { gatherScoreInputs, type ScoreSources } from './inputs';
import { computeScore } from './score';
import type { ScoreStore } from './store';

export interface ScoreServiceOptions {
	sources: ScoreSources;
	store: ScoreStore;
	/** how often a score is stored (VMW_SCORE_INTERVAL_S) */
	intervalMs: number;
	/** how often it is recomputed for the live view */
	refreshMs?: number;
	retentionMs: number;
	/** the disk trend (a 7-day query) is re-read at most this often; the projection moves slowly */
	trendTtlMs?: number;
	now?: () => number;
	log: Logger;
}

/** What the live view compares: a new report is pushed only when one of these changed. */
const keyOf = (r: ScoreReport) =>
	JSON.stringify([
		r.total,
		r.dimensions.map((d) => [d.summary, d.cause ?? null]),
		r.actions.map((a) => a.text),
		r.note
	]);

export function createScoreService({
	sources: given,
	store,
	intervalMs,
	refreshMs = 30_000,
	retentionMs,
	trendTtlMs = 5 * 60_000,
	now = Date.now,
	log
}: ScoreServiceOptions) {
	let trend: { at: number; answer: ReturnType<ScoreSources['diskTrend']> } | null = null;
	const sources: ScoreSources = {
		...given,
		diskTrend() {
			if (!trend || now() - trend.at >= trendTtlMs)
				trend = { at: now(), answer: given.diskTrend() };
			return trend.answer;
		}
	};
	let latest: ScoreReport | null = null;
	let inflight: Promise<ScoreReport> | null = null;
	let refreshTimer: ReturnType<typeof setInterval> | null = null;
	let recordTimer: ReturnType<typeof setTimeout> | null = null;
	let lastRecordedAt: number | null = null;
	let lastError: string | null = null;
	/** a source changed since `latest` was computed (a poke with nobody subscribed): current() recomputes */
	let stale = false;
	const listeners = createEmitter({ log, what: 'score subscriber' });

	async function compute(): Promise<ScoreReport> {
		const { inputs, facts } = await gatherScoreInputs({ ...sources, now });
		const score = computeScore(inputs, sources.boundaries);
		return { ...score, actions: topActions({ score, ...facts }) };
	}

	/** Recompute now (concurrent callers share one computation). */
	function refresh(): Promise<ScoreReport> {
		if (!inflight) stale = false; // a poke from now on is newer than this computation
		inflight ??= compute()
			.then((report) => {
				const changed = !latest || keyOf(latest) !== keyOf(report);
				latest = report;
				lastError = null;
				if (changed) listeners.emit();
				return report;
			})
			.catch((err: unknown) => {
				lastError = err instanceof Error ? err.message : String(err);
				throw err;
			})
			.finally(() => (inflight = null));
		return inflight;
	}

	async function record(): Promise<void> {
		try {
			const report = await refresh();
			await store.insert(report);
			lastRecordedAt = report.at;
			await store.pruneOlderThan(report.at - retentionMs);
		} catch (err) {
			lastError = err instanceof Error ? err.message : String(err);
			log.error('score not recorded', { err });
		}
	}

	function scheduleRecord() {
		// on the interval's boundaries (…:00, :05, :10 for 5 minutes), so rows line up across restarts
		const t = now();
		recordTimer = setTimeout(
			async () => {
				await record();
				if (recordTimer) scheduleRecord();
			},
			intervalMs - (t % intervalMs)
		);
		recordTimer.unref();
	}

	return {
		start() {
			if (refreshTimer) return;
			// Only for live subscribers (the score tile's stream): a reader without one asks current(),
			// which recomputes when older than refreshMs. An idle server does not read crontabs, cleanup
			// logs and the history every 30 s for nobody (issue 24, decision 0025).
			refreshTimer = setInterval(
				() =>
					void (
						listeners.size > 0 &&
						refresh().catch((err) => log.warn('score refresh failed', { err }))
					),
				refreshMs
			);
			refreshTimer.unref();
			scheduleRecord();
			void refresh().catch((err) => log.warn('score refresh failed', { err }));
		},
		async stop() {
			if (refreshTimer) clearInterval(refreshTimer);
			if (recordTimer) clearTimeout(recordTimer);
			refreshTimer = null;
			recordTimer = null;
			await inflight?.catch(() => {});
		},
		refresh,
		record,
		/**
		 * A source changed (e.g. the unhealthy count): recompute now for the live view's subscribers;
		 * with none, only mark the score stale, so that the next current() recomputes. A flapping
		 * health check on a watched stack poked every few seconds, each time reading the history,
		 * the crontabs and the memory trace for nobody (issue 24).
		 */
		poke() {
			if (listeners.size === 0) {
				stale = true;
				return;
			}
			void refresh().catch((err) => log.warn('score refresh failed', { err }));
		},
		/** The latest report, recomputed when older than refreshMs or poked since. */
		async current(): Promise<ScoreReport> {
			if (latest && !stale && now() - latest.at < refreshMs) return latest;
			return refresh();
		},
		/** The latest report without IO (metrics); null before the first. */
		latest: () => latest,
		history: (range: { fromMs: number; toMs: number }): Promise<ScoreHistoryPoint[]> =>
			store.range(range),
		subscribe(fn: () => void) {
			const off = listeners.on(fn);
			return () => void off();
		},
		/** For /healthz: reported, never what makes the app unhealthy. */
		health(): { ok: boolean; detail: string } {
			const l = latest;
			const rec = lastRecordedAt ? `; stored ${new Date(lastRecordedAt).toISOString()}` : '';
			if (!l) return { ok: true, detail: `not computed yet${lastError ? `; ${lastError}` : ''}` };
			return {
				ok: true,
				detail: `score ${l.total ?? 'unknown'} at ${new Date(l.at).toISOString()}${l.unknown.length ? ` (unknown: ${l.unknown.join(', ')})` : ''}${rec}${lastError ? `; last error: ${lastError}` : ''}`
			};
		}
	};
}

export type ScoreService = ReturnType<typeof createScoreService>;
