// The Ollama panel's domain functions: what the `ollama` router answers. Each read returns an
// Availability (Ollama can be down alone); the mutations throw OllamaPanelError with a kind the
// router maps to a tRPC code.
import { z } from 'zod';
import type { HostSample } from '$lib/health';
import type { Availability } from '../availability';
import type { Db } from '../db';
import { recordAction, recordIntent, recordOutcome, type ActionIntent } from '../audit/actions';
import {
	OllamaError,
	type KeepAlive,
	type OllamaLoadedModel,
	type OllamaModel,
	type OllamaSource
} from './client';
import { assessImpact, needsForce, type Impact } from './ram-impact';
import { lastUsedByModel } from './usage';
import type { RunnerCpu, RunnerCpuTracker } from './runner';
import { findGpuDevices, gpuReadiness, type GpuReadiness } from './gpu';

/**
 * An Ollama model name: `[host/][namespace/]model[:tag]`, letters, digits and `._-` in each
 * part, at most 200 characters. Nothing else reaches Ollama (no spaces, shell or path tricks).
 */
export const modelNameSchema = z
	.string()
	.max(200, 'a model name is at most 200 characters')
	.regex(
		/^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*){0,2}(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?$/,
		'a model name is like llama3.2:3b or namespace/model:tag'
	)
	.refine(
		(s) => !s.split(/[/:]/).some((p) => p === '..' || p === '.'),
		'a model name has no . or .. parts'
	);

/** keep_alive for a load: a duration such as 30s, 10m, 2h (at most 24h), or -1 to keep it loaded. */
export const keepAliveSchema = z.union([
	z
		.string()
		.regex(/^([1-9]\d{0,4})(s|m|h)$/, 'keepAlive is like 30s, 10m or 2h')
		.refine((s) => durationMs(s) <= 86_400_000, 'keepAlive is at most 24h'),
	z.literal(-1)
]);

function durationMs(s: string): number {
	const n = Number(s.slice(0, -1));
	return n * { s: 1000, m: 60_000, h: 3_600_000 }[s.at(-1) as 's' | 'm' | 'h'];
}

export interface PanelDeps {
	source: OllamaSource;
	db: Db;
	hostId: string;
	runnerCpu: RunnerCpuTracker;
	/** the host sampler's latest sample */
	latestSample: () => HostSample | null;
	/** a sample taken now (before a load: the last one may be seconds old, or predate the previous load) */
	freshSample?: () => Promise<HostSample | null>;
	devRoot: string;
	defaultContextLength: number;
	memAvailableWarnBytes: number;
	memAvailableCritBytes: number;
	/** poll /api/ps now so the usage record follows a load or unload */
	pollNow: () => Promise<void>;
	now?: () => number;
}

export interface ModelRow extends OllamaModel {
	/** epoch ms it was last seen loaded; null if never (in this app's record) */
	lastUsedAt: number | null;
	loaded: boolean;
}

export interface LoadedRow extends OllamaLoadedModel {
	/** size_vram / size, 0–100 */
	vramPct: number;
	/** ms until Ollama unloads it; null when it did not say or keeps it until unloaded */
	expiresInMs: number | null;
	keptUntilUnloaded: boolean;
	/** runner CPU %, when it can be told which runner serves this model (one runner, one model) */
	cpuPct: number | null;
}

export interface MemoryPicture {
	totalBytes: number;
	/** used by everything but the loaded models */
	systemBytes: number;
	/** the loaded models' part in RAM (size − size_vram) */
	modelsBytes: number;
	/** MemAvailable */
	freeBytes: number;
	models: { name: string; ramBytes: number }[];
	/** epoch ms of the host sample */
	sampledAt: number;
	/** whether the models part is current (Ollama answered) */
	ollama: 'ok' | 'unavailable';
}

export type OllamaPanelErrorKind = 'not-found' | 'refused' | 'unavailable' | 'timeout';

export class OllamaPanelError extends Error {
	constructor(
		readonly kind: OllamaPanelErrorKind,
		message: string,
		readonly impact: Impact | null = null,
		options?: { cause?: unknown }
	) {
		super(message, options);
		this.name = 'OllamaPanelError';
	}
}

function memoryOf(sample: HostSample | null) {
	return sample && sample.memory.ok
		? {
				totalBytes: sample.memory.memTotalBytes,
				availableBytes: sample.memory.memAvailableBytes,
				at: sample.ts
			}
		: null;
}

/** [system] [models] [free] from the latest host sample and /api/ps. Pure. */
export function memoryPicture(
	sample: HostSample | null,
	loaded: OllamaLoadedModel[] | null
): MemoryPicture | null {
	const mem = memoryOf(sample);
	if (!mem) return null;
	const models = (loaded ?? []).map((m) => ({
		name: m.name,
		ramBytes: Math.max(0, m.sizeBytes - m.sizeVramBytes)
	}));
	const used = Math.max(0, mem.totalBytes - mem.availableBytes);
	// the models' RAM is part of "used"; never let a stale or odd figure push system below 0
	const modelsBytes = Math.min(
		used,
		models.reduce((s, m) => s + m.ramBytes, 0)
	);
	return {
		totalBytes: mem.totalBytes,
		systemBytes: used - modelsBytes,
		modelsBytes,
		freeBytes: mem.availableBytes,
		models,
		sampledAt: mem.at,
		ollama: loaded ? 'ok' : 'unavailable'
	};
}

const YEAR_MS = 365 * 86_400_000;
/** ms left before `expiresAt` (0 once past); null when unknown or more than a year away (keep_alive -1). */
export function expiresIn(expiresAt: string | null, now: number): number | null {
	if (!expiresAt) return null;
	const ms = Date.parse(expiresAt) - now;
	if (Number.isNaN(ms) || ms > YEAR_MS) return null;
	return Math.max(0, ms);
}

function mapAvailability<T, U>(a: Availability<T>, f: (t: T) => U): Availability<U> {
	if (a.state === 'ok') return { state: 'ok', data: f(a.data), at: a.at };
	return { ...a, lastGood: a.lastGood === null ? null : f(a.lastGood) };
}

export function createOllamaPanel(deps: PanelDeps) {
	const now = deps.now ?? Date.now;

	function loadedRows(models: OllamaLoadedModel[], runners: RunnerCpu[]): LoadedRow[] {
		const t = now();
		const single = models.length === 1 && runners.length === 1 ? runners[0].cpuPct : null;
		return models.map((m) => ({
			...m,
			vramPct: m.sizeBytes > 0 ? Math.round((m.sizeVramBytes / m.sizeBytes) * 1000) / 10 : 0,
			expiresInMs: expiresIn(m.expiresAt, t),
			// keep_alive -1: Ollama reports an expiry centuries away
			keptUntilUnloaded: m.expiresAt !== null && expiresIn(m.expiresAt, t) === null,
			cpuPct: single
		}));
	}

	function impactOf(
		model: OllamaModel,
		loaded: OllamaLoadedModel[],
		sample = deps.latestSample()
	): Impact {
		const current = loaded.find((m) => m.name === model.name);
		return assessImpact({
			model,
			contextLength: current?.contextLength ?? deps.defaultContextLength,
			memAvailableBytes: memoryOf(sample)?.availableBytes ?? null,
			alreadyLoaded: !!current,
			memAvailableWarnBytes: deps.memAvailableWarnBytes,
			memAvailableCritBytes: deps.memAvailableCritBytes
		});
	}

	async function models(): Promise<Availability<ModelRow[]>> {
		const [list, ps] = await Promise.all([deps.source.models(), deps.source.loaded()]);
		const lastUsed = await lastUsedByModel(deps.db, deps.hostId);
		const loadedNames = new Set(ps.state === 'ok' ? ps.data.map((m) => m.name) : []);
		return mapAvailability(list, (ms) =>
			ms.map((m) => ({
				...m,
				loaded: loadedNames.has(m.name),
				lastUsedAt:
					loadedNames.has(m.name) && ps.state === 'ok' ? ps.at : (lastUsed.get(m.name) ?? null)
			}))
		);
	}

	async function loaded(): Promise<Availability<{ models: LoadedRow[]; runners: RunnerCpu[] }>> {
		const ps = await deps.source.loaded();
		const runners = deps.runnerCpu.read();
		return mapAvailability(ps, (ms) => ({ models: loadedRows(ms, runners), runners }));
	}

	async function memory(): Promise<{
		picture: MemoryPicture | null;
		ollama: Availability<OllamaLoadedModel[]>;
	}> {
		const ps = await deps.source.loaded();
		return {
			picture: memoryPicture(deps.latestSample(), ps.state === 'ok' ? ps.data : null),
			ollama: ps
		};
	}

	function gpu(loadedModels: OllamaLoadedModel[] | null): GpuReadiness {
		return gpuReadiness(findGpuDevices(deps.devRoot), loadedModels);
	}

	/** The model from the live list, or NOT_FOUND; Ollama down is `unavailable`. */
	async function onDisk(
		model: string
	): Promise<{ model: OllamaModel; loaded: OllamaLoadedModel[] }> {
		try {
			const [list, ps] = await Promise.all([deps.source.client.list(), deps.source.client.ps()]);
			const found = list.find((m) => m.name === model);
			if (!found)
				throw new OllamaPanelError(
					'not-found',
					`model "${model}" is not on disk (pull it with ollama pull first)`
				);
			return { model: found, loaded: ps };
		} catch (err) {
			throw asPanelError(err);
		}
	}

	// Loads and unloads run one at a time: each impact is judged after the previous change, on a
	// fresh sample, so two loads that each fit cannot together push the VM into swap.
	let queue: Promise<unknown> = Promise.resolve();
	function serial<T>(run: () => Promise<T>): Promise<T> {
		const next = queue.then(run, run);
		queue = next.catch(() => {});
		return next;
	}

	return {
		models,
		loaded,
		memory,
		gpu,

		async impact(model: string): Promise<Impact> {
			const m = await onDisk(model);
			return impactOf(m.model, m.loaded);
		},

		/** Everything the /models page shows, from one list and one ps call. */
		async panel() {
			const [list, ps] = await Promise.all([deps.source.models(), deps.source.loaded()]);
			const lastUsed = await lastUsedByModel(deps.db, deps.hostId);
			const runners = deps.runnerCpu.read();
			const psNow = ps.state === 'ok' ? ps.data : null;
			// while Ollama is down, what was loaded at the last good answer (shown as such on the page)
			const psAny = ps.state === 'ok' ? ps.data : ps.lastGood;
			const loadedNames = new Set((psAny ?? []).map((m) => m.name));
			return {
				models: mapAvailability(list, (ms) =>
					ms.map((m) => ({
						...m,
						loaded: loadedNames.has(m.name),
						lastUsedAt:
							loadedNames.has(m.name) && ps.state === 'ok' ? ps.at : (lastUsed.get(m.name) ?? null),
						impact: impactOf(m, psAny ?? [])
					}))
				),
				loaded: mapAvailability(ps, (ms) => ({ models: loadedRows(ms, runners), runners })),
				memory: memoryPicture(deps.latestSample(), psNow),
				gpu: gpu(psNow)
			};
		},

		/**
		 * Load a model (operator). Refuses a crit (or unknown) impact unless `force`; the refusal is
		 * recorded as `denied`. Every attempt is in the action record.
		 */
		load: ({
			model,
			keepAlive,
			force,
			intent
		}: {
			model: string;
			keepAlive: KeepAlive;
			force: boolean;
			intent: Omit<ActionIntent, 'action' | 'target' | 'input'>;
		}) =>
			serial(async () => {
				const full: ActionIntent = {
					...intent,
					action: 'ollama.load',
					target: model,
					input: { model, keepAlive, force }
				};
				const disk = await onDisk(model).catch(async (err: unknown) => {
					const id = await recordIntent(deps.db, full);
					await recordOutcome(
						deps.db,
						id,
						err instanceof OllamaPanelError && err.kind === 'not-found' ? 'denied' : 'error',
						(err as Error).message
					);
					throw err;
				});
				const sample = deps.freshSample
					? await deps.freshSample().catch(() => deps.latestSample())
					: deps.latestSample();
				const impact = impactOf(disk.model, disk.loaded, sample);
				if (needsForce(impact.level) && !force) {
					const id = await recordIntent(deps.db, full);
					const message = `${impact.message}. Refused: confirm with force to load anyway.`;
					await recordOutcome(deps.db, id, 'denied', message);
					throw new OllamaPanelError('refused', message, impact);
				}
				const r = await recordAction(
					deps.db,
					full,
					() =>
						deps.source.client
							.load({ model, keepAlive })
							.catch((err: unknown) => Promise.reject(asPanelError(err))),
					(v) => `done_reason ${v.doneReason ?? 'none'}; ${impact.message}`
				);
				await deps.pollNow().catch(() => {});
				return { model, doneReason: r.doneReason, impact };
			}),

		/** Unload a model on disk (operator): keep_alive 0. */
		unload: ({
			model,
			intent
		}: {
			model: string;
			intent: Omit<ActionIntent, 'action' | 'target' | 'input'>;
		}) =>
			serial(async () => {
				const full: ActionIntent = {
					...intent,
					action: 'ollama.unload',
					target: model,
					input: { model }
				};
				const disk = await onDisk(model).catch(async (err: unknown) => {
					const id = await recordIntent(deps.db, full);
					await recordOutcome(
						deps.db,
						id,
						err instanceof OllamaPanelError && err.kind === 'not-found' ? 'denied' : 'error',
						(err as Error).message
					);
					throw err;
				});
				const wasLoaded = disk.loaded.some((m) => m.name === model);
				const r = await recordAction(
					deps.db,
					full,
					() =>
						deps.source.client
							.unload({ model })
							.catch((err: unknown) => Promise.reject(asPanelError(err))),
					(v) => `done_reason ${v.doneReason ?? 'none'}${wasLoaded ? '' : ' (it was not loaded)'}`
				);
				await deps.pollNow().catch(() => {});
				return { model, doneReason: r.doneReason, wasLoaded };
			})
	};
}

export type OllamaPanel = ReturnType<typeof createOllamaPanel>;

function asPanelError(err: unknown): OllamaPanelError {
	if (err instanceof OllamaPanelError) return err;
	if (err instanceof OllamaError) {
		const kind =
			err.kind === 'not-found' ? 'not-found' : err.kind === 'timeout' ? 'timeout' : 'unavailable';
		return new OllamaPanelError(kind, err.message, null, { cause: err });
	}
	return new OllamaPanelError(
		'unavailable',
		err instanceof Error ? err.message : String(err),
		null,
		{ cause: err }
	);
}
