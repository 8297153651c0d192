// The Ollama client against a fake Ollama HTTP server answering with the documented bodies
// (tests/fixtures/ollama). Expected values are read off the fixture files by eye.
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../../tests/helpers/server';
import {
	startFakeOllama,
	ollamaFixture,
	type FakeOllama
} from '../../../../tests/helpers/fake-ollama';
import { createOllamaClient, createOllamaSource, OllamaError } from './client';

let fake: FakeOllama | null = null;
afterEach(async () => {
	await fake?.close();
	fake = null;
});

const client = (url: string, timeoutMs = 2000) =>
	createOllamaClient({ url, timeoutMs, loadTimeoutMs: timeoutMs });

describe('ollama client', () => {
	it('lists the models on disk with their details (api-tags.json)', async () => {
		fake = await startFakeOllama();
		const models = await client(fake.url).list();
		expect(models.map((m) => m.name)).toEqual([
			'qwen2.5-coder:1.5b',
			'llama3.2-vision:11b',
			'llama3.2:3b',
			'nomic-embed-text:latest'
		]);
		expect(models[1]).toEqual({
			name: 'llama3.2-vision:11b',
			digest: 'b'.repeat(64),
			sizeBytes: 7816589186,
			// nanoseconds dropped: 18:01:10.908172635Z -> .908Z
			modifiedAt: '2026-04-02T18:01:10.908Z',
			family: 'mllama',
			parameterSize: '10.7B',
			quantization: 'Q4_K_M'
		});
	});

	it('reads a loaded model from /api/ps (api-ps.loaded.json)', async () => {
		fake = await startFakeOllama();
		expect(await client(fake.url).ps()).toEqual([
			{
				name: 'qwen2.5-coder:1.5b',
				digest: 'a'.repeat(64),
				sizeBytes: 1181116006,
				sizeVramBytes: 0,
				expiresAt: '2026-05-27T14:05:31.118Z',
				contextLength: 4096,
				family: 'qwen2',
				parameterSize: '1.5B',
				quantization: 'Q4_K_M'
			}
		]);
	});

	it('reads an empty /api/ps (api-ps.empty.json)', async () => {
		fake = await startFakeOllama({
			loaded: ollamaFixture<{ models: [] }>('api-ps.empty.json').models
		});
		expect(await client(fake.url).ps()).toEqual([]);
	});

	it('loads with a keep_alive and gets done_reason "load"', async () => {
		fake = await startFakeOllama();
		const r = await client(fake.url).load({ model: 'llama3.2:3b', keepAlive: '10m' });
		expect(r).toEqual({ doneReason: 'load' });
		// the documented request (api-generate.load.request.json) plus an empty prompt and stream:false
		expect(fake.requests.at(-1)).toMatchObject({
			method: 'POST',
			path: '/api/generate',
			body: {
				...ollamaFixture<object>('api-generate.load.request.json'),
				prompt: '',
				stream: false
			}
		});
	});

	it('unloads with keep_alive 0 and gets done_reason "unload"', async () => {
		fake = await startFakeOllama();
		const r = await client(fake.url).unload({ model: 'qwen2.5-coder:1.5b' });
		expect(r).toEqual({ doneReason: 'unload' });
		expect(fake.requests.at(-1)?.body).toMatchObject(
			ollamaFixture<object>('api-generate.unload.request.json')
		);
		expect(fake.loaded).toEqual([]);
	});

	it("turns a 404 for an unknown model into a not-found error with Ollama's text", async () => {
		fake = await startFakeOllama();
		const err = await client(fake.url)
			.load({ model: 'llama9:70b', keepAlive: '5m' })
			.catch((e: unknown) => e);
		expect(err).toBeInstanceOf(OllamaError);
		expect(err).toMatchObject({ kind: 'not-found', status: 404 });
		// the body is api-error.model-not-found.json's
		expect((err as Error).message).toBe(
			`Ollama load llama9:70b: ${ollamaFixture<{ error: string }>('api-error.model-not-found.json').error} (HTTP 404)`
		);
	});

	it('says Ollama is unreachable when nothing listens', async () => {
		const port = await freePort();
		const err = await client(`http://127.0.0.1:${port}`)
			.list()
			.catch((e: unknown) => e);
		expect(err).toMatchObject({ kind: 'unreachable' });
		expect((err as Error).message).toBe(
			`Ollama at http://127.0.0.1:${port} is unreachable (ECONNREFUSED)`
		);
	});

	it('gives up after the timeout when Ollama is slower', async () => {
		fake = await startFakeOllama({ delayMs: 3000 });
		const started = Date.now();
		const err = await client(fake.url, 300)
			.ps()
			.catch((e: unknown) => e);
		const took = Date.now() - started;
		expect(err).toMatchObject({
			kind: 'timeout',
			message: `Ollama at ${fake.url} did not answer /api/ps within 300 ms`
		});
		// well before the 3 s the fake takes
		expect(took).toBeLessThan(2500);
	});

	it('rejects a body of the wrong shape as bad-response', async () => {
		fake = await startFakeOllama({ tags: [{ name: 'x', size: -1 } as never] });
		await expect(client(fake.url).list()).rejects.toMatchObject({ kind: 'bad-response' });
	});
});

describe('ollama source (availability)', () => {
	it('keeps the last good list and its time when Ollama goes down', async () => {
		fake = await startFakeOllama();
		let t = 1_000;
		const source = createOllamaSource(client(fake.url), () => t);
		const first = await source.models();
		expect(first).toMatchObject({ state: 'ok', at: 1_000 });

		await fake.close();
		fake = null;
		t = 5_000;
		const second = await source.models();
		expect(second.state).toBe('unavailable');
		if (second.state !== 'unavailable') throw new Error('expected unavailable');
		expect(second.reason).toMatch(/is unreachable \(ECONNREFUSED\)$/);
		expect(second.lastGoodAt).toBe(1_000);
		expect(second.at).toBe(5_000);
		expect(second.lastGood?.map((m) => m.name)).toHaveLength(4);
	});
});
