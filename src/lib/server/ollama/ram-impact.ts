// The RAM-impact estimate (pure): what loading a model will do to the VM's memory, before it
// is loaded. One of the three things the app exists to show (with the score card and trends).
//
// Formula (docs/ollama.md has the derivation):
//
//   neededBytes   = sizeOnDiskBytes + kvCacheBytes
//   kvCacheBytes  = contextLength × kvBytesPerToken(parameterCount)
//   freeAfter     = MemAvailable − neededBytes
//   level         = crit if freeAfter < memAvailableCrit, warn if < memAvailableWarn, else ok
//
// Size on disk: the GGUF file holds the quantised weights Ollama maps into memory, so it is
// the weights' footprint once loaded. KV cache: each token of context keeps one key and one
// value vector per layer and per KV head, in f16 (Ollama's default OLLAMA_KV_CACHE_TYPE):
//
//   kvBytesPerToken = 2 (K and V) × layers × kvHeads × headDim × 2 bytes (f16)
//
// /api/tags does not give layers or heads, so kvBytesPerToken comes from the published
// architecture (the model's config.json on Hugging Face) of the most memory-hungry common
// model in each parameter class: a conservative estimate for the class. Ollama's own
// compute graph buffers (tens to a few hundred MB) are not included: the estimate is a floor,
// which is why the warn band (MemAvailable thresholds, default 2 GiB / 1 GiB) has slack.
// The thresholds are the same VMW_MEM_AVAILABLE_* the memory card uses.

import { displayName, formatGB } from '$lib/ollama';

export { displayName, formatGB };

const KiB = 1024;

/** Parameter class upper bounds (exclusive) and KV bytes per token of context. */
export const KV_BYTES_PER_TOKEN: readonly {
	belowParams: number;
	bytesPerToken: number;
	source: string;
}[] = [
	// Llama 3.2 1B: 16 layers × 8 KV heads × 64 dims × 2 × 2 B = 32 KiB (Qwen2.5 1.5B: 28 × 2 × 128 × 4 = 28 KiB)
	{ belowParams: 2e9, bytesPerToken: 32 * KiB, source: 'Llama 3.2 1B' },
	// Llama 3.2 3B: 28 layers × 8 KV heads × 128 dims × 2 × 2 B = 112 KiB
	{ belowParams: 5e9, bytesPerToken: 112 * KiB, source: 'Llama 3.2 3B' },
	// Llama 3.1 8B: 32 layers × 8 KV heads × 128 dims × 2 × 2 B = 128 KiB
	{ belowParams: 10e9, bytesPerToken: 128 * KiB, source: 'Llama 3.1 8B' },
	// Llama 3.2 Vision 11B: 40 layers × 8 KV heads × 128 dims × 2 × 2 B = 160 KiB
	{ belowParams: 20e9, bytesPerToken: 160 * KiB, source: 'Llama 3.2 Vision 11B' },
	// Qwen2.5 32B: 64 layers × 8 KV heads × 128 dims × 2 × 2 B = 256 KiB
	{ belowParams: 40e9, bytesPerToken: 256 * KiB, source: 'Qwen2.5 32B' },
	// Llama 3.1 70B: 80 layers × 8 KV heads × 128 dims × 2 × 2 B = 320 KiB
	{ belowParams: Infinity, bytesPerToken: 320 * KiB, source: 'Llama 3.1 70B' }
];

/** Used when the parameter size is missing or unreadable: the 11B class (between the common sizes). */
export const UNKNOWN_PARAMS_BYTES_PER_TOKEN = 160 * KiB;

/** "10.7B" → 10.7e9, "137M" → 137e6, "1.5b" → 1.5e9; null for anything else. */
export function parseParameterCount(s: string | null | undefined): number | null {
	const m = /^\s*(\d+(?:\.\d+)?)\s*([KMBT])\s*$/i.exec(s ?? '');
	if (!m) return null;
	const scale = { K: 1e3, M: 1e6, B: 1e9, T: 1e12 }[m[2].toUpperCase() as 'K' | 'M' | 'B' | 'T'];
	return Number(m[1]) * scale;
}

export function kvBytesPerToken(parameterCount: number | null): number {
	if (parameterCount === null || !Number.isFinite(parameterCount) || parameterCount <= 0)
		return UNKNOWN_PARAMS_BYTES_PER_TOKEN;
	return KV_BYTES_PER_TOKEN.find((c) => parameterCount < c.belowParams)!.bytesPerToken;
}

export interface ModelMemoryEstimate {
	weightsBytes: number;
	kvCacheBytes: number;
	neededBytes: number;
	contextLength: number;
}

export function estimateModelMemory({
	sizeBytes,
	parameterSize,
	contextLength
}: {
	sizeBytes: number;
	parameterSize: string | null;
	contextLength: number;
}): ModelMemoryEstimate {
	const kvCacheBytes = contextLength * kvBytesPerToken(parseParameterCount(parameterSize));
	return {
		weightsBytes: sizeBytes,
		kvCacheBytes,
		neededBytes: sizeBytes + kvCacheBytes,
		contextLength
	};
}

export type ImpactLevel = 'ok' | 'warn' | 'crit' | 'unknown';

export interface Impact extends Partial<ModelMemoryEstimate> {
	model: string;
	level: ImpactLevel;
	/** true when the model is already in memory: loading it costs nothing more */
	alreadyLoaded: boolean;
	memAvailableBytes: number | null;
	/** MemAvailable after the load; negative when it does not fit */
	freeAfterBytes: number | null;
	/** the sentence the page shows, e.g. "Loading llama3.2-vision (7.8 GB) will leave ~1.2 GB free — swap pressure likely" */
	message: string;
}

export interface ImpactInput {
	model: { name: string; sizeBytes: number; parameterSize: string | null };
	contextLength: number;
	/** MemAvailable from the host sampler's latest sample; null when unknown */
	memAvailableBytes: number | null;
	alreadyLoaded: boolean;
	memAvailableWarnBytes: number;
	memAvailableCritBytes: number;
}

export function assessImpact({
	model,
	contextLength,
	memAvailableBytes,
	alreadyLoaded,
	memAvailableWarnBytes,
	memAvailableCritBytes
}: ImpactInput): Impact {
	const est = estimateModelMemory({
		sizeBytes: model.sizeBytes,
		parameterSize: model.parameterSize,
		contextLength
	});
	const name = displayName(model.name);
	const size = formatGB(model.sizeBytes);
	const base = { model: model.name, alreadyLoaded, memAvailableBytes, ...est };
	if (alreadyLoaded)
		return {
			...base,
			level: 'ok',
			freeAfterBytes: memAvailableBytes,
			message: `${name} (${size}) is already loaded: loading it again costs no memory`
		};
	if (memAvailableBytes === null)
		return {
			...base,
			level: 'unknown',
			freeAfterBytes: null,
			message: `Loading ${name} (${size}) needs ~${formatGB(est.neededBytes)}; MemAvailable is unknown, so its effect on RAM cannot be estimated`
		};
	const freeAfterBytes = memAvailableBytes - est.neededBytes;
	const level: ImpactLevel =
		freeAfterBytes < memAvailableCritBytes
			? 'crit'
			: freeAfterBytes < memAvailableWarnBytes
				? 'warn'
				: 'ok';
	let message: string;
	if (freeAfterBytes < 0)
		message = `Loading ${name} (${size}) needs ~${formatGB(est.neededBytes)} but only ${formatGB(memAvailableBytes)} is available — the VM will swap heavily`;
	else {
		const leave = `Loading ${name} (${size}) will leave ~${formatGB(freeAfterBytes)} free`;
		message =
			level === 'crit'
				? `${leave} — the VM will swap heavily`
				: level === 'warn'
					? `${leave} — swap pressure likely`
					: leave;
	}
	return { ...base, level, freeAfterBytes, message };
}

/** Whether a load at this level needs the operator's explicit `force`. */
export const needsForce = (level: ImpactLevel) => level === 'crit' || level === 'unknown';
