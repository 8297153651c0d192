// A small fake of the Ollama HTTP API on a free loopback port, answering with the documented
// bodies in tests/fixtures/ollama (see its README). Ollama cannot run on the development
// machines (DESIGN decision 3), so this is the one part of the Ollama path that is not real.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const dir = path.resolve(import.meta.dirname, '../fixtures/ollama');
export const ollamaFixture = <T = unknown>(name: string): T =>
	JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as T;

interface TagModel {
	name: string;
	model: string;
	size: number;
	digest: string;
	details: Record<string, unknown>;
	modified_at: string;
}
export interface PsModel {
	name: string;
	model: string;
	size: number;
	digest: string;
	details: Record<string, unknown>;
	expires_at: string;
	size_vram: number;
	context_length: number;
}

export interface FakeOllamaOptions {
	/** models on disk; default api-tags.json */
	tags?: TagModel[];
	/** models loaded at start; default api-ps.loaded.json */
	loaded?: PsModel[];
	/** delay before every answer, to be slower than a client's timeout */
	delayMs?: number;
	/** called after a model is loaded or unloaded (e.g. to move a fake /proc/meminfo) */
	onChange?: (event: {
		action: 'load' | 'unload';
		model: string;
		sizeBytes: number;
	}) => void | Promise<void>;
}

export interface FakeOllama {
	url: string;
	port: number;
	/** every request: method, path, parsed JSON body and arrival time (epoch ms) */
	requests: { method: string; path: string; body: unknown; at: number }[];
	loaded: PsModel[];
	delayMs: number;
	close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown) {
	const text = JSON.stringify(body);
	res.writeHead(status, {
		'content-type': 'application/json; charset=utf-8',
		'content-length': Buffer.byteLength(text)
	});
	res.end(text);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
	const chunks: Buffer[] = [];
	for await (const c of req) chunks.push(c as Buffer);
	const text = Buffer.concat(chunks).toString('utf8');
	return text ? JSON.parse(text) : null;
}

export async function startFakeOllama(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
	const tags = options.tags ?? ollamaFixture<{ models: TagModel[] }>('api-tags.json').models;
	const loadResponse = ollamaFixture<Record<string, unknown>>('api-generate.load.response.json');
	const unloadResponse = ollamaFixture<Record<string, unknown>>(
		'api-generate.unload.response.json'
	);
	const state: FakeOllama = {
		url: '',
		port: 0,
		requests: [],
		loaded: options.loaded ?? ollamaFixture<{ models: PsModel[] }>('api-ps.loaded.json').models,
		delayMs: options.delayMs ?? 0,
		close: async () => {}
	};

	const server: Server = createServer((req, res) => {
		void (async () => {
			const url = new URL(req.url ?? '/', 'http://x');
			let body: unknown;
			try {
				body = await readBody(req);
			} catch {
				return send(res, 400, { error: 'invalid JSON' });
			}
			state.requests.push({ method: req.method ?? '', path: url.pathname, body, at: Date.now() });
			if (state.delayMs) await new Promise((r) => setTimeout(r, state.delayMs));
			if (res.destroyed) return;

			if (req.method === 'GET' && url.pathname === '/api/version')
				return send(res, 200, ollamaFixture('api-version.json'));
			if (req.method === 'GET' && url.pathname === '/api/tags')
				return send(res, 200, { models: tags });
			if (req.method === 'GET' && url.pathname === '/api/ps')
				return send(res, 200, { models: state.loaded });
			if (req.method === 'POST' && url.pathname === '/api/generate') {
				const b = (body ?? {}) as { model?: string; keep_alive?: string | number };
				const tag = tags.find((t) => t.name === b.model);
				// Ollama's answer for a model that is not on disk (api-error.model-not-found.json's shape)
				if (!tag) return send(res, 404, { error: `model '${b.model}' not found` });
				const created_at = new Date().toISOString();
				if (b.keep_alive === 0 || b.keep_alive === '0') {
					const was = state.loaded.find((m) => m.name === tag.name);
					state.loaded = state.loaded.filter((m) => m.name !== tag.name);
					if (was)
						await options.onChange?.({ action: 'unload', model: tag.name, sizeBytes: was.size });
					return send(res, 200, { ...unloadResponse, model: tag.name, created_at });
				}
				if (!state.loaded.some((m) => m.name === tag.name)) {
					// what /api/ps would then report: the file plus a 4096-token KV cache (a round figure, not Ollama's)
					const size = tag.size + 4096 * 131072;
					state.loaded = [
						...state.loaded,
						{
							name: tag.name,
							model: tag.model,
							size,
							digest: tag.digest,
							details: tag.details,
							expires_at: new Date(Date.now() + 600_000).toISOString(),
							size_vram: 0,
							context_length: 4096
						}
					];
					await options.onChange?.({ action: 'load', model: tag.name, sizeBytes: size });
				}
				return send(res, 200, { ...loadResponse, model: tag.name, created_at });
			}
			send(res, 404, { error: `not found: ${req.method} ${url.pathname}` });
		})().catch((err) => {
			if (!res.headersSent) send(res, 500, { error: String(err) });
		});
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	state.port = (server.address() as { port: number }).port;
	state.url = `http://127.0.0.1:${state.port}`;
	state.close = () =>
		new Promise<void>((resolve) => {
			server.closeAllConnections();
			server.close(() => resolve());
		});
	return state;
}
