// The snapshot the API serves now, memoised per sample: many clients polling cost one
// classification and one JSON serialisation per sample, not one per request.
import superjson from 'superjson';
import type { HealthSnapshot } from '$lib/health';
import type { Services } from '../services';
import { buildSnapshot, isFresh } from './snapshot';

type Source = Pick<Services, 'sampler' | 'config'>;

interface Memo {
	key: string;
	snapshot: HealthSnapshot;
	json: string | null;
	trpc: string | null;
}
const memo = new WeakMap<object, Memo>();

function current({ sampler, config }: Source): Memo {
	const stats = sampler.stats();
	const now = Date.now();
	const fresh = isFresh(stats.lastSampleAt, config.sampleIntervalMs, now);
	// A stale snapshot's text names its age in seconds, so it changes once a second, not per request.
	const key = `${stats.lastSampleAt}|${stats.running}|${fresh ? 0 : Math.round((now - (stats.lastSampleAt ?? now)) / 1000)}|${stats.lastError}`;
	const hit = memo.get(sampler);
	if (hit?.key === key) return hit;
	const entry: Memo = {
		key,
		snapshot: buildSnapshot({
			sampler,
			thresholds: config.thresholds,
			hostId: config.hostId,
			intervalMs: config.sampleIntervalMs,
			now
		}),
		json: null,
		trpc: null
	};
	memo.set(sampler, entry);
	return entry;
}

/** The current health snapshot (shared object: do not mutate). */
export function currentSnapshot(services: Source): HealthSnapshot {
	return current(services).snapshot;
}

/** The current snapshot as JSON text, serialised once per sample (GET /api/vm/health). */
export function currentSnapshotJson(services: Source): string {
	const entry = current(services);
	entry.json ??= JSON.stringify(entry.snapshot);
	return entry.json;
}

/**
 * tRPC's answer to `health.snapshot` (superjson transformer, trpc/init.ts), serialised once per
 * sample for the fast lane (fast-lane.ts): `{"result":{"data":<superjson>}}`, and in a one-call
 * batch the same inside `[…]`. tests/integration/fast-lane.test.ts compares it byte for byte
 * with what tRPC itself answers.
 */
export function currentSnapshotTrpc(services: Source, batch: boolean): string {
	const entry = current(services);
	entry.trpc ??= `{"result":{"data":${JSON.stringify(superjson.serialize(entry.snapshot))}}}`;
	return batch ? `[${entry.trpc}]` : entry.trpc;
}
