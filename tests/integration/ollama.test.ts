// The built server with the fake Ollama: /healthz reports Ollama without depending on it, and
// GET /api/vm/ollama/models answers the models as JSON (503 + last good list when Ollama is down).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, TEST_TOKEN, type RunningServer } from '../helpers/server';
import { startFakeOllama, type FakeOllama } from '../helpers/fake-ollama';

const bearer = { authorization: `Bearer ${TEST_TOKEN}` };

async function waitFor<T>(
	what: string,
	probe: () => Promise<T | undefined>,
	timeoutMs = 10_000
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const v = await probe();
		if (v !== undefined) return v;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

describe('built server with the fake Ollama', () => {
	let server: RunningServer;
	let fake: FakeOllama;
	beforeAll(async () => {
		fake = await startFakeOllama();
		server = await startServer({
			VMW_OLLAMA_URL: fake.url,
			VMW_OLLAMA_POLL_MS: '1000',
			VMW_OLLAMA_TIMEOUT_MS: '1000'
		});
	});
	afterAll(async () => {
		await server?.stop();
		await fake?.close();
	});

	it('refuses GET /api/vm/ollama/models without credentials', async () => {
		expect((await fetch(`${server.url}/api/vm/ollama/models`)).status).toBe(401);
	});

	it('answers the models on disk as JSON, the loaded one with a last-used time', async () => {
		const res = await fetch(`${server.url}/api/vm/ollama/models`, { headers: bearer });
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toMatch(/application\/json/);
		const body = await res.json();
		expect(body.state).toBe('ok');
		// api-tags.json, in its order
		expect(
			body.data.map((m: { name: string; sizeBytes: number; loaded: boolean }) => [
				m.name,
				m.sizeBytes,
				m.loaded
			])
		).toEqual([
			['qwen2.5-coder:1.5b', 986061892, true],
			['llama3.2-vision:11b', 7816589186, false],
			['llama3.2:3b', 2019393189, false],
			['nomic-embed-text:latest', 274302450, false]
		]);
		expect(typeof body.data[0].lastUsedAt).toBe('number');
	});

	it('/healthz reports Ollama reachable, then down, and stays 200 either way', async () => {
		const up = await waitFor('a first Ollama poll', async () => {
			const b = await (await fetch(`${server.url}/healthz`)).json();
			return b.services.ollama?.detail.startsWith('last poll') ? b : undefined;
		});
		expect(up).toMatchObject({
			status: 'ok',
			services: { ollama: { ok: true, detail: expect.stringMatching(/; 1 model\(s\) loaded$/) } }
		});

		await fake.close();
		const down = await waitFor('a failed Ollama poll', async () => {
			const res = await fetch(`${server.url}/healthz`);
			const b = await res.json();
			return b.services.ollama?.ok === false ? { status: res.status, b } : undefined;
		});
		expect(down.status).toBe(200);
		expect(down.b.status).toBe('ok');
		// the public /healthz names the setting, never the internal address
		expect(down.b.services.ollama.detail).not.toContain(fake.url);
		expect(down.b.services.ollama.detail).toMatch(
			/^Ollama at VMW_OLLAMA_URL is unreachable .*; last good poll \d{4}-\d\d-\d\dT.*\(outside system: does not fail this app's health\)$/
		);

		const res = await fetch(`${server.url}/api/vm/ollama/models`, { headers: bearer });
		expect(res.status).toBe(503);
		const body = await res.json();
		expect(body).toMatchObject({
			state: 'unavailable',
			reason: expect.stringMatching(/^Ollama at http:\/\/127\.0\.0\.1:\d+ is unreachable/)
		});
		expect(body.lastGood).toHaveLength(4);
		expect(typeof body.lastGoodAt).toBe('number');
		// the rest of the app keeps answering
		expect((await fetch(`${server.url}/api/vm/health`, { headers: bearer })).status).toBe(200);
	});
});
