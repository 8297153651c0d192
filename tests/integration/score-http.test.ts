// The score over HTTP against the built server, with Docker on a socket that does not exist:
// score.live over SSE (the typed client, as other tools use it), `vmwarden score` end to end,
// /healthz names the score and stays 200, and the unknown services dimension is said, not 0.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createVmwardenClient } from '../../src/lib/client/index';
import type { ScoreReport } from '../../src/lib/score';
import { main } from '../../src/cli/vmwarden';
import { startServer, TEST_TOKEN, type RunningServer } from '../helpers/server';

let server: RunningServer;
let dir: string;

beforeAll(async () => {
	dir = await mkdtemp(path.join(tmpdir(), 'vmw-score-http-'));
	server = await startServer({
		VMW_DOCKER_HOST: `unix://${path.join(dir, 'no-docker.sock')}`,
		VMW_OLLAMA_URL: 'http://127.0.0.1:1',
		VMW_LOG_DIR: dir
	});
}, 60_000);

afterAll(async () => {
	await server?.stop();
	if (dir) await rm(dir, { recursive: true, force: true });
});

describe('score over HTTP', () => {
	it('score.live pushes the card over SSE; Docker, Ollama and the cleanup history unknown, scaled over the rest', async () => {
		const client = createVmwardenClient({ url: server.url, token: TEST_TOKEN });
		const first = await new Promise<ScoreReport>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error('no push in 15 s')), 15_000);
			const sub = client.score.live.subscribe(undefined, {
				onData(r) {
					clearTimeout(timer);
					sub.unsubscribe();
					resolve(r);
				},
				onError(err) {
					clearTimeout(timer);
					reject(err);
				}
			});
		});
		expect(first.dimensions.map((d) => d.id)).toEqual([
			'cpu',
			'memory',
			'disk',
			'services',
			'maintenance',
			'llm'
		]);
		expect(first.unknown).toEqual(expect.arrayContaining(['services', 'maintenance', 'llm']));
		const services = first.dimensions.find((d) => d.id === 'services')!;
		expect(services).toMatchObject({
			state: 'unknown',
			points: null,
			href: '/containers?filter=unhealthy'
		});
		expect(services.summary).toMatch(/^unknown: Docker unavailable: /);
		// cpu 20 + memory 20 + disk 15 at most = 55 known points
		expect(first.knownMax).toBeLessThanOrEqual(55);
		expect(first.note).toMatch(/^Scaled over \d of 6 dimensions/);
	});

	it('vmwarden score prints the card (exit 0); an unknown host is refused', async () => {
		const out: string[] = [];
		const err: string[] = [];
		const code = await main(
			['score', '--url', server.url, '--token', TEST_TOKEN],
			{},
			{ out: (l) => out.push(l), err: (l) => err.push(l) },
			new AbortController().signal
		);
		expect(err).toEqual([]);
		expect(code).toBe(0);
		const text = out.join('\n');
		expect(text).toMatch(/^local score \d+\/100 at /);
		expect(text).toMatch(/^ {2}Service health\s+\?\/20 {2}unknown: Docker unavailable: /m);
		const client = createVmwardenClient({ url: server.url, token: TEST_TOKEN });
		await expect(client.score.current.query({ hostId: 'other-vm' })).rejects.toMatchObject({
			data: { code: 'NOT_FOUND' }
		});
	});

	it('/healthz stays 200 and names the score', async () => {
		const res = await fetch(`${server.url}/healthz`);
		expect(res.status).toBe(200);
		const body = (await res.json()) as {
			services?: Record<string, { ok: boolean; detail: string }>;
		};
		expect(body.services?.score?.ok).toBe(true);
		expect(body.services?.score?.detail).toMatch(/^score \d+ at .*unknown: .*services/);
	});
});
