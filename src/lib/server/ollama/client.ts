// The Ollama adapter: the official `ollama` JS client (its browser build: plain fetch, no
// fs or polyfills) against VMW_OLLAMA_URL, with a timeout on every call. Answers are checked
// with zod and turned into our own plain shapes; failures become an OllamaError with a kind
// a caller can act on (unreachable, timeout, not-found, api, bad-response).
import { Ollama } from 'ollama/browser';
import { z } from 'zod';
import { createAvailability, type Availability } from '../availability';

export interface OllamaModel {
	name: string;
	digest: string;
	sizeBytes: number;
	/** UTC ISO string */
	modifiedAt: string | null;
	family: string | null;
	parameterSize: string | null;
	quantization: string | null;
}

export interface OllamaLoadedModel {
	name: string;
	digest: string;
	/** memory the loaded model takes (RAM + VRAM) */
	sizeBytes: number;
	/** the part of sizeBytes in GPU memory */
	sizeVramBytes: number;
	/** UTC ISO string; null when Ollama did not say */
	expiresAt: string | null;
	contextLength: number | null;
	family: string | null;
	parameterSize: string | null;
	quantization: string | null;
}

export type OllamaErrorKind = 'unreachable' | 'timeout' | 'not-found' | 'api' | 'bad-response';

export class OllamaError extends Error {
	constructor(
		readonly kind: OllamaErrorKind,
		message: string,
		readonly status: number | null = null,
		options?: { cause?: unknown }
	) {
		super(message, options);
		this.name = 'OllamaError';
	}
}

const details = z
	.object({
		family: z.string().optional().nullable(),
		parameter_size: z.string().optional().nullable(),
		quantization_level: z.string().optional().nullable()
	})
	.partial()
	.optional()
	.nullable();

const bytes = z.number().finite().nonnegative();
const tagsSchema = z.object({
	models: z.array(
		z.object({
			name: z.string().min(1),
			digest: z.string().default(''),
			size: bytes,
			modified_at: z.string().optional().nullable(),
			details
		})
	)
});
const psSchema = z.object({
	models: z.array(
		z.object({
			name: z.string().min(1),
			digest: z.string().default(''),
			size: bytes,
			size_vram: bytes.default(0),
			expires_at: z.string().optional().nullable(),
			context_length: z.number().int().positive().optional().nullable(),
			details
		})
	)
});
const generateSchema = z.object({
	model: z.string(),
	done: z.boolean().optional(),
	done_reason: z.string().optional().nullable()
});
const versionSchema = z.object({ version: z.string() });

/** Ollama sends nanosecond ISO strings; normalise to what Date gives back (ms, UTC), keep null for junk. */
function isoOrNull(s: string | null | undefined): string | null {
	if (!s) return null;
	const ms = Date.parse(s);
	return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
	const r = schema.safeParse(value);
	if (!r.success)
		throw new OllamaError(
			'bad-response',
			`Ollama answered ${what} with an unexpected body: ${r.error.issues[0]?.message ?? 'invalid'}`,
			null,
			{ cause: r.error }
		);
	return r.data;
}

/** Turn whatever the client threw into an OllamaError that says what happened. */
export function toOllamaError(
	err: unknown,
	{ url, timeoutMs, what }: { url: string; timeoutMs: number; what: string }
): OllamaError {
	if (err instanceof OllamaError) return err;
	const e = err as {
		name?: string;
		status_code?: number;
		error?: string;
		message?: string;
		cause?: { code?: string; message?: string };
	};
	if (
		e?.name === 'TimeoutError' ||
		(e?.name === 'AbortError' && /timeout/i.test(String(e.message)))
	)
		return new OllamaError(
			'timeout',
			`Ollama at ${url} did not answer ${what} within ${timeoutMs} ms`,
			null,
			{ cause: err }
		);
	if (e?.name === 'ResponseError' && typeof e.status_code === 'number') {
		const detail = e.error ?? e.message ?? 'error';
		return new OllamaError(
			e.status_code === 404 ? 'not-found' : 'api',
			`Ollama ${what}: ${detail} (HTTP ${e.status_code})`,
			e.status_code,
			{ cause: err }
		);
	}
	if (e?.name === 'SyntaxError')
		return new OllamaError(
			'bad-response',
			`Ollama answered ${what} with a body that is not JSON`,
			null,
			{ cause: err }
		);
	const code = e?.cause?.code ?? '';
	const reason = code || e?.cause?.message || e?.message || String(err);
	return new OllamaError('unreachable', `Ollama at ${url} is unreachable (${reason})`, null, {
		cause: err
	});
}

/** A fetch that gives up after `timeoutMs` (headers and body), on top of any caller signal. */
export function fetchWithTimeout(timeoutMs: number, base: typeof fetch = fetch): typeof fetch {
	return (input, init) => {
		const timeout = AbortSignal.timeout(timeoutMs);
		const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
		return base(input, { ...init, signal });
	};
}

export interface OllamaClientOptions {
	/** base URL, e.g. http://127.0.0.1:11434 */
	url: string;
	/** every call but load */
	timeoutMs: number;
	/** load reads the whole model from disk: it gets its own, longer limit */
	loadTimeoutMs: number;
}

export type KeepAlive = string | number;

export function createOllamaClient({ url, timeoutMs, loadTimeoutMs }: OllamaClientOptions) {
	const host = url.replace(/\/+$/, '');
	const quick = new Ollama({ host, fetch: fetchWithTimeout(timeoutMs) });
	const slow = new Ollama({ host, fetch: fetchWithTimeout(loadTimeoutMs) });

	async function call<T>(what: string, limitMs: number, run: () => Promise<T>): Promise<T> {
		try {
			return await run();
		} catch (err) {
			throw toOllamaError(err, { url: host, timeoutMs: limitMs, what });
		}
	}

	return {
		url: host,

		async version(): Promise<string> {
			const body = await call('/api/version', timeoutMs, () => quick.version());
			return parse(versionSchema, body, '/api/version').version;
		},

		/** Models on disk (GET /api/tags). */
		async list(): Promise<OllamaModel[]> {
			const body = await call('/api/tags', timeoutMs, () => quick.list());
			return parse(tagsSchema, body, '/api/tags').models.map((m) => ({
				name: m.name,
				digest: m.digest,
				sizeBytes: m.size,
				modifiedAt: isoOrNull(m.modified_at),
				family: m.details?.family || null,
				parameterSize: m.details?.parameter_size || null,
				quantization: m.details?.quantization_level || null
			}));
		},

		/** Models in memory (GET /api/ps). */
		async ps(): Promise<OllamaLoadedModel[]> {
			const body = await call('/api/ps', timeoutMs, () => quick.ps());
			return parse(psSchema, body, '/api/ps').models.map((m) => ({
				name: m.name,
				digest: m.digest,
				sizeBytes: m.size,
				sizeVramBytes: Math.min(m.size_vram, m.size),
				expiresAt: isoOrNull(m.expires_at),
				contextLength: m.context_length ?? null,
				family: m.details?.family || null,
				parameterSize: m.details?.parameter_size || null,
				quantization: m.details?.quantization_level || null
			}));
		},

		/**
		 * Load a model into memory: POST /api/generate with no prompt and a keep_alive
		 * (Ollama's documented way to preload). Resolves with Ollama's done_reason ("load").
		 */
		async load({
			model,
			keepAlive
		}: {
			model: string;
			keepAlive: KeepAlive;
		}): Promise<{ doneReason: string | null }> {
			const body = await call(`load ${model}`, loadTimeoutMs, () =>
				slow.generate({ model, prompt: '', keep_alive: keepAlive, stream: false })
			);
			return { doneReason: parse(generateSchema, body, '/api/generate').done_reason ?? null };
		},

		/** Unload: POST /api/generate with keep_alive 0. Resolves with done_reason ("unload"). */
		async unload({ model }: { model: string }): Promise<{ doneReason: string | null }> {
			const body = await call(`unload ${model}`, timeoutMs, () =>
				quick.generate({ model, prompt: '', keep_alive: 0, stream: false })
			);
			return { doneReason: parse(generateSchema, body, '/api/generate').done_reason ?? null };
		}
	};
}

export type OllamaClient = ReturnType<typeof createOllamaClient>;

/**
 * The client's reads as Availability: never throws for an Ollama failure, remembers the last
 * good answer of each endpoint so a page can show it with its time.
 */
export function createOllamaSource(client: OllamaClient, now: () => number = Date.now) {
	const models = createAvailability<OllamaModel[]>(now);
	const loaded = createAvailability<OllamaLoadedModel[]>(now);
	const answered = new Set<() => void>();
	const wrap =
		<T>(a: ReturnType<typeof createAvailability<T>>, read: () => Promise<T>) =>
		async (): Promise<Availability<T>> => {
			try {
				const ok = a.ok(await read());
				for (const fn of answered) fn();
				return ok;
			} catch (err) {
				// our message already says what happened; the raw causes ("fetch failed: connect …") only repeat it
				return a.fail(err instanceof OllamaError ? err.message : err);
			}
		};
	return {
		client,
		models: wrap(models, () => client.list()),
		loaded: wrap(loaded, () => client.ps()),
		/** Called after every read Ollama answered (the watcher's own, a page's); returns the unsubscribe. */
		onAnswer(fn: () => void): () => void {
			answered.add(fn);
			return () => void answered.delete(fn);
		}
	};
}

export type OllamaSource = ReturnType<typeof createOllamaSource>;
