// Reads the score's inputs from the other domains' own functions (sampler, Docker adapter,
// maintenance status, Ollama panel, trends): nothing here re-derives what they compute. Each
// source that cannot answer becomes `{ ok: false, reason }`, i.e. an unknown dimension.
import type { HistoryPoint, HostSample } from '$lib/health';
import type { TrendAnswer } from '$lib/trends';
import type { Availability } from '../availability';
import { reasonOf } from '../availability';
import type { ContainerInfo } from '../docker/model';
import { isUnhealthy } from '../docker/health';
import { isFresh } from '../health/snapshot';
import type { CronStatus } from '../maintenance/status';
import type { MemoryPicture } from '../ollama/panel';
import { projectDisk } from '../prometheus/projection';
import type { ActionFacts } from './actions';
import type { Known, ScoreBoundaries, ScoreInputs } from './score';
import { stealAverage, STEAL_WINDOW_MS } from './steal';
import { causeLine, type HostMemory, type MemoryTrace } from '../memory/attribution';

export interface ScoreSources {
	hostId: string;
	boundaries: ScoreBoundaries;
	/** the sampler's interval, to tell a stale sample */
	sampleIntervalMs: number;
	sampler: {
		latest(): HostSample | null;
		recent(sinceMs?: number): HostSample[];
		stats(): { lastSampleAt: number | null };
	};
	/** stored 1-minute host history */
	minutes(range: { fromMs: number; toMs: number }): Promise<HistoryPoint[]>;
	containers(): Availability<ContainerInfo[]>;
	maintenance(): Promise<CronStatus>;
	/** the Ollama panel's memory picture and whether Ollama answered */
	ollamaMemory(): Promise<{ picture: MemoryPicture | null; ollama: Availability<unknown> }>;
	/** what grew while memory pressure rose, ending at the fresh sample's figures; absent = not traced */
	memoryTrace?(current: HostMemory): Promise<MemoryTrace | null>;
	/** the disk trend (7 days), for the projection in the top actions */
	diskTrend(): Promise<TrendAnswer>;
	now?: () => number;
}

const fail = (reason: string) => ({ ok: false as const, reason });
const when = (ms: number | null) =>
	ms === null ? 'never' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export async function gatherScoreInputs(
	src: ScoreSources
): Promise<{ inputs: ScoreInputs; facts: Omit<ActionFacts, 'score'> }> {
	const at = (src.now ?? Date.now)();
	const lastSampleAt = src.sampler.stats().lastSampleAt;
	const fresh = isFresh(lastSampleAt, src.sampleIntervalMs, at);
	const sample = fresh ? src.sampler.latest() : null;
	const noSample = fail(`no fresh host sample (last ${when(lastSampleAt)})`);

	const mem = sample?.memory.ok ? sample.memory : null;
	const current = mem
		? {
				at: sample!.ts,
				memAvailableBytes: mem.memAvailableBytes,
				swapUsedBytes: mem.swapUsedBytes,
				swapCachedBytes: mem.swapCachedBytes
			}
		: null;
	const [minutes, maint, ollama, trend, trace] = await Promise.all([
		src.minutes({ fromMs: at - STEAL_WINDOW_MS, toMs: at }).catch(() => [] as HistoryPoint[]),
		src.maintenance().then(
			(s) => ({ ok: true as const, s }),
			(err: unknown) => ({ ok: false as const, reason: reasonOf(err) })
		),
		src.ollamaMemory().catch((err: unknown) => ({
			picture: null,
			ollama: {
				state: 'unavailable' as const,
				reason: reasonOf(err),
				lastGood: null,
				lastGoodAt: null,
				at
			}
		})),
		src.diskTrend().catch(() => null),
		current && src.memoryTrace ? src.memoryTrace(current).catch(() => null) : Promise.resolve(null)
	]);

	const avg = stealAverage({
		samples: src.sampler.recent(at - STEAL_WINDOW_MS),
		minutes,
		nowMs: at
	});
	const steal: ScoreInputs['steal'] = avg
		? { ok: true, stealPct: avg.stealPct }
		: fail('no CPU steal reading in the last 15 minutes');

	let memory: ScoreInputs['memory'] = noSample;
	// the memory dimension scores MemAvailable: its cause is led by MemAvailable when it fell
	if (sample)
		memory = sample.memory.ok
			? {
					ok: true,
					availableBytes: sample.memory.memAvailableBytes,
					cause: causeLine(trace, 'memAvailable')
				}
			: fail(`memory: ${sample.memory.error}`);

	let disk: ScoreInputs['disk'] = noSample;
	if (sample) {
		const read = sample.disks.flatMap((d) =>
			d.figures.ok ? [{ mount: d.mount, usedPct: d.figures.usedPct }] : []
		);
		const fullest = read.sort((a, b) => b.usedPct - a.usedPct)[0];
		disk = fullest
			? { ok: true, ...fullest }
			: fail(
					sample.disks.length
						? `no mount could be read (${sample.disks.map((d) => (d.figures.ok ? '' : `${d.mount}: ${d.figures.error}`)).join('; ')})`
						: 'no mount is watched'
				);
	}

	const list = src.containers();
	const services: ScoreInputs['services'] =
		list.state === 'ok'
			? { ok: true, unhealthy: list.data.filter(isUnhealthy).length }
			: fail(`Docker unavailable: ${list.reason}`);

	let maintenance: ScoreInputs['maintenance'];
	if (!maint.ok) maintenance = fail(`cleanup history unreadable: ${maint.reason}`);
	else if (!maint.s.history.found.cleanup && !maint.s.history.found.cleanupLog)
		maintenance = fail(`no cleanup history in ${maint.s.history.logDir}`);
	else {
		const last = maint.s.lastCleanup;
		maintenance = {
			ok: true,
			lastCleanupAt: last ? Date.parse(last.start) : null,
			freedBytes: last?.freedBytes ?? null
		};
	}

	let llm: Known<{ freeBytes: number }>;
	if (ollama.ollama.state !== 'ok') llm = fail(`Ollama unavailable: ${ollama.ollama.reason}`);
	else if (!ollama.picture) llm = memory.ok ? fail('no memory picture') : memory;
	else llm = { ok: true, freeBytes: ollama.picture.freeBytes };

	let diskFacts: ActionFacts['disk'] = null;
	const data = trend && trend.state !== 'unavailable' ? trend.data : null;
	if (disk.ok && data) {
		const line = data.series.find((s) => s.key === disk.mount);
		if (line)
			diskFacts = {
				mount: disk.mount,
				projection: projectDisk({ points: line.points, targets: src.boundaries.diskUsedPct })
			};
	}

	return {
		inputs: { hostId: src.hostId, at, steal, memory, disk, services, maintenance, llm },
		facts: {
			boundaries: src.boundaries,
			disk: diskFacts,
			loadedModels: ollama.ollama.state === 'ok' ? (ollama.picture?.models ?? []) : []
		}
	};
}
