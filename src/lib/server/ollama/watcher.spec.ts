// The /api/ps poller against the fake Ollama and a fresh SQLite file.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { freshDb } from '../../../../tests/helpers/db';
import { startFakeOllama, type FakeOllama } from '../../../../tests/helpers/fake-ollama';
import type { Db } from '../db';
import { ollamaUsage } from '../db/schema';
import { createOllamaClient, createOllamaSource, OllamaError, type OllamaClient } from './client';
import { createOllamaWatcher } from './watcher';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe('ollama watcher', () => {
	let db: Db;
	let cleanup: () => Promise<void>;
	let fake: FakeOllama;
	beforeEach(async () => {
		({ db, cleanup } = await freshDb());
		fake = await startFakeOllama();
	});
	afterEach(async () => {
		await fake.close();
		await cleanup();
	});

	const watcherAt = (url: string, now: () => number) =>
		createOllamaWatcher({
			source: createOllamaSource(
				createOllamaClient({ url, timeoutMs: 1000, loadTimeoutMs: 1000 }),
				now
			),
			db,
			hostId: 'h',
			intervalMs: 15_000,
			log: quiet,
			now
		});

	it('records the loaded model with the RAM it takes, then its end after an unload', async () => {
		let t = 100_000;
		const w = watcherAt(fake.url, () => t);
		await w.pollNow();
		expect(w.stats()).toMatchObject({
			polls: 1,
			lastOkAt: 100_000,
			lastError: null,
			loaded: ['qwen2.5-coder:1.5b']
		});
		fake.loaded = [];
		t = 115_000;
		await w.pollNow();
		expect(await db.select().from(ollamaUsage)).toEqual([
			{
				id: 1,
				hostId: 'h',
				model: 'qwen2.5-coder:1.5b',
				startedAt: 100_000,
				lastSeenAt: 100_000,
				endedAt: 115_000,
				sizeBytes: 1_181_116_006
			}
		]);
	});

	it('records only the RAM part of a model partly in VRAM', async () => {
		// /api/ps: size 2_000_000_000, of it 1_500_000_000 in VRAM -> 500_000_000 in host RAM
		fake.loaded = [
			{ ...fake.loaded[0], name: 'gpu:1b', size: 2_000_000_000, size_vram: 1_500_000_000 }
		];
		await watcherAt(fake.url, () => 1).pollNow();
		expect((await db.select().from(ollamaUsage)).map((r) => [r.model, r.sizeBytes])).toEqual([
			['gpu:1b', 500_000_000]
		]);
	});

	it("hands each poll's answer to afterPoll: the loaded models, none, or unavailable", async () => {
		const seen: string[] = [];
		const w = createOllamaWatcher({
			source: createOllamaSource(
				createOllamaClient({ url: fake.url, timeoutMs: 1000, loadTimeoutMs: 1000 })
			),
			db,
			hostId: 'h',
			intervalMs: 15_000,
			log: quiet,
			afterPoll: (ps) =>
				void seen.push(
					ps.state === 'ok' ? `ok:${ps.data.map((m) => m.name).join(',')}` : 'unavailable'
				)
		});
		await w.pollNow();
		fake.loaded = [];
		await w.pollNow();
		await fake.close();
		await w.pollNow();
		expect(seen).toEqual(['ok:qwen2.5-coder:1.5b', 'ok:', 'unavailable']);
	});

	it('reports Ollama down in its health detail and keeps the open period', async () => {
		let t = 100_000;
		const w = watcherAt(fake.url, () => t);
		w.start();
		await w.pollNow();
		await fake.close();
		t = 115_000;
		await w.pollNow();
		const h = w.health();
		expect(h.ok).toBe(false);
		// the kept-alive socket of the first poll was cut (UND_ERR_SOCKET) or a new connect refused
		expect(h.detail).toMatch(
			/^Ollama at VMW_OLLAMA_URL is unreachable \((ECONNREFUSED|UND_ERR_SOCKET)\); last good poll 1970-01-01T00:01:40\.000Z \(outside system: does not fail this app's health\)$/
		);
		expect((await db.select().from(ollamaUsage))[0].endedAt).toBeNull();
		await w.stop();
		expect(w.health()).toEqual({ ok: false, detail: 'not polling' });
	});

	it('serialises polls asked for at the same time', async () => {
		const w = watcherAt(fake.url, () => 1);
		await Promise.all([w.pollNow(), w.pollNow(), w.pollNow()]);
		expect(w.stats().polls).toBe(3);
		expect(await db.select().from(ollamaUsage)).toHaveLength(1);
	});

	describe('while Ollama is unreachable (issue 24)', () => {
		// The clock runs an hour here, so the client is a stand-in that refuses like a closed port
		// (the same OllamaError the real client throws); the source around it is the real one.
		function refusing() {
			const calls: number[] = [];
			const state = { up: false };
			const client = {
				url: 'http://127.0.0.1:11434',
				async ps() {
					calls.push(Date.now());
					if (!state.up)
						throw new OllamaError(
							'unreachable',
							'Ollama at http://127.0.0.1:11434 is unreachable (ECONNREFUSED)'
						);
					return [];
				},
				async list() {
					if (!state.up) throw new OllamaError('unreachable', 'unreachable (ECONNREFUSED)');
					return [];
				}
			} as unknown as OllamaClient;
			return { source: createOllamaSource(client), calls, state };
		}
		beforeEach(() => vi.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'Date'] }));
		afterEach(() => vi.useRealTimers());

		it('polls 15 s after a failure at first, then doubling the wait up to once a minute', async () => {
			const o = refusing();
			const w = createOllamaWatcher({
				source: o.source,
				db,
				hostId: 'h',
				intervalMs: 15_000,
				log: quiet
			});
			w.start();
			await vi.advanceTimersByTimeAsync(3_600_000);
			const at = o.calls.map((t) => t / 1000);
			// 15, 30, 60, 60 s apart
			expect(at.slice(0, 6)).toEqual([0, 15, 45, 105, 165, 225]);
			const gapsMs = o.calls.slice(1).map((t, i) => t - o.calls[i]);
			expect(Math.max(...gapsMs)).toBe(60_000);
			expect(o.calls.length).toBeLessThan(70); // 240 at a fixed 15 s
			expect(w.health().ok).toBe(false);
			await w.stop();
		});

		it('a read Ollama answers elsewhere (the models page) brings the poll back at once', async () => {
			const o = refusing();
			const w = createOllamaWatcher({
				source: o.source,
				db,
				hostId: 'h',
				intervalMs: 15_000,
				log: quiet
			});
			w.start();
			await vi.advanceTimersByTimeAsync(600_000); // polling once a minute
			o.state.up = true;
			const n = o.calls.length;
			expect((await o.source.models()).state).toBe('ok'); // the page's own read
			await vi.advanceTimersByTimeAsync(0);
			expect(o.calls).toHaveLength(n + 1);
			expect(o.calls.at(-1)).toBe(600_000);
			expect(w.health().ok).toBe(true);
			await vi.advanceTimersByTimeAsync(30_000);
			expect(o.calls).toHaveLength(n + 3); // back at 15 s
			await w.stop();
		});
	});
});
