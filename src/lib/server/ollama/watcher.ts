// Background service: polls Ollama's /api/ps every `intervalMs` and writes the usage record.
// Started from services.ts, never at import time. Ollama being down is reported in /healthz
// detail and never fails the app's own health. While it is unreachable the wait between polls
// doubles up to a minute (retry.ts); any read Ollama answers meanwhile (a page's) brings the next
// poll back at once.
import type { Db } from '../db';
import type { Logger } from '../log';
import { createRetryClock, RETRY_MAX_MS } from '../retry';
import type { OllamaSource } from './client';
import { recordPoll } from './usage';

export interface OllamaWatcherOptions {
	source: OllamaSource;
	db: Db;
	hostId: string;
	intervalMs: number;
	/** while Ollama is unreachable, the longest wait between two polls */
	retryMaxMs?: number;
	log: Logger;
	/** extra work after each poll (the runner CPU reading), given the poll's answer; errors are logged, never thrown */
	afterPoll?: (loaded: Awaited<ReturnType<OllamaSource['loaded']>>) => void;
	now?: () => number;
}

export interface OllamaWatcherStats {
	running: boolean;
	polls: number;
	lastPollAt: number | null;
	lastOkAt: number | null;
	/** why the last poll failed; null when it succeeded */
	lastError: string | null;
	loaded: string[];
}

export function createOllamaWatcher({
	source,
	db,
	hostId,
	intervalMs,
	retryMaxMs = RETRY_MAX_MS,
	log,
	afterPoll,
	now = Date.now
}: OllamaWatcherOptions) {
	let timer: ReturnType<typeof setTimeout> | null = null;
	let running = false;
	let inflight: Promise<void> | null = null;
	const retry = createRetryClock({ baseMs: intervalMs, maxMs: retryMaxMs });
	/** the wait after the latest poll: the interval, or longer while Ollama is unreachable */
	let nextDelayMs = intervalMs;
	let offAnswer: (() => void) | null = null;
	const stats: OllamaWatcherStats = {
		running: false,
		polls: 0,
		lastPollAt: null,
		lastOkAt: null,
		lastError: null,
		loaded: []
	};

	async function pollOnce(): Promise<void> {
		const at = now();
		const r = await source.loaded();
		stats.polls++;
		stats.lastPollAt = at;
		if (r.state === 'unavailable') {
			if (stats.lastError !== r.reason) log.warn('Ollama poll failed', { reason: r.reason });
			stats.lastError = r.reason;
			nextDelayMs = retry.failed();
		} else {
			retry.ok();
			nextDelayMs = intervalMs;
			if (stats.lastError) log.info('Ollama reachable again');
			stats.lastError = null;
			stats.lastOkAt = at;
			stats.loaded = r.data.map((m) => m.name);
			try {
				// three missed polls make a gap: a period unseen that long ended at its last sighting
				// the RAM part: what a model holds in VRAM does not press on the host's memory
				const sizes = Object.fromEntries(
					r.data.map((m) => [m.name, Math.max(0, m.sizeBytes - m.sizeVramBytes)])
				);
				await recordPoll(db, {
					hostId,
					loaded: stats.loaded,
					now: at,
					gapMs: intervalMs * 3,
					sizes
				});
			} catch (err) {
				stats.lastError = `could not write the usage record: ${err instanceof Error ? err.message : String(err)}`;
				log.error('Ollama usage record write failed', { err });
			}
		}
		try {
			afterPoll?.(r);
		} catch (err) {
			log.warn('Ollama after-poll step failed', { err });
		}
	}

	/** Serialised: a poll requested while one runs waits for it and then runs its own. */
	function poll(): Promise<void> {
		const run = (inflight ?? Promise.resolve()).then(pollOnce);
		const p = run.finally(() => {
			if (inflight === p) inflight = null;
		});
		inflight = p;
		return p;
	}

	function schedule(delayMs: number) {
		if (timer) clearTimeout(timer);
		timer = setTimeout(() => {
			timer = null;
			void poll().finally(() => running && !timer && schedule(nextDelayMs));
		}, delayMs);
		timer.unref?.();
	}

	return {
		start() {
			if (running) return;
			running = true;
			stats.running = true;
			schedule(0);
			// a read Ollama answered elsewhere (a page) while this one waits out an outage: poll now
			offAnswer = source.onAnswer(() => {
				if (running && timer && nextDelayMs > intervalMs) {
					nextDelayMs = intervalMs;
					schedule(0);
				}
			});
		},
		async stop() {
			running = false;
			if (timer) clearTimeout(timer);
			timer = null;
			offAnswer?.();
			offAnswer = null;
			stats.running = false;
			await inflight?.catch(() => {});
		},
		/** Poll now (after a load or unload) and resolve when it is recorded. */
		pollNow: poll,
		stats: (): OllamaWatcherStats => ({ ...stats, loaded: [...stats.loaded] }),
		/** /healthz detail. `ok` says whether Ollama answers; it never decides the app's health. */
		health(): { ok: boolean; detail: string } {
			if (!stats.running) return { ok: false, detail: 'not polling' };
			if (stats.lastPollAt === null) return { ok: true, detail: 'first poll pending' };
			const iso = (ms: number | null) => (ms === null ? 'never' : new Date(ms).toISOString());
			// /healthz is public: name the setting, not the internal address
			if (stats.lastError)
				return {
					ok: false,
					detail: `${stats.lastError.split(source.client.url).join('VMW_OLLAMA_URL')}; last good poll ${iso(stats.lastOkAt)} (outside system: does not fail this app's health)`
				};
			return {
				ok: true,
				detail: `last poll ${iso(stats.lastPollAt)}; ${stats.loaded.length} model(s) loaded`
			};
		}
	};
}

export type OllamaWatcher = ReturnType<typeof createOllamaWatcher>;
