// Background service: polls Ollama's /api/ps every `intervalMs` and writes the usage record.
// Started from services.ts, never at import time. Ollama being down is reported in /healthz
// detail and never fails the app's own health.
import type { Db } from '../db';
import type { Logger } from '../log';
import type { OllamaSource } from './client';
import { recordPoll } from './usage';

export interface OllamaWatcherOptions {
	source: OllamaSource;
	db: Db;
	hostId: string;
	intervalMs: number;
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
	log,
	afterPoll,
	now = Date.now
}: OllamaWatcherOptions) {
	let timer: ReturnType<typeof setInterval> | null = null;
	let inflight: Promise<void> | null = null;
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
		} else {
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

	return {
		start() {
			if (timer) return;
			stats.running = true;
			void poll();
			timer = setInterval(() => void poll(), intervalMs);
			timer.unref?.();
		},
		async stop() {
			if (timer) clearInterval(timer);
			timer = null;
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
