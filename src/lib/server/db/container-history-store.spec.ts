import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDb } from '../../../../tests/helpers/db';
import { createContainerHistoryStore } from './container-history-store';

describe('container history store', () => {
	let ctx: Awaited<ReturnType<typeof freshDb>>;
	beforeEach(async () => (ctx = await freshDb()));
	afterEach(() => ctx.cleanup());

	it("prunes only its own host's rows older than the cutoff", async () => {
		const a = createContainerHistoryStore(ctx.db, 'vm-a');
		const b = createContainerHistoryStore(ctx.db, 'vm-b');
		const row = (key: string, ts: number) => ({
			key,
			ts,
			name: key,
			cpuPct: 1,
			memUsedBytes: 1,
			memPeakBytes: 1,
			memLimitBytes: null,
			readBps: 0,
			writeBps: 5
		});
		await a.insertMany([row('x', 1000), row('y', 1500), row('x', 2000)]);
		await b.insertMany([row('x', 1000)]);
		expect(await a.pruneOlderThan(2000)).toBe(2);
		expect(await a.range({ key: 'x', fromMs: 0, toMs: 5000 })).toMatchObject([{ ts: 2000 }]);
		expect(await b.range({ key: 'x', fromMs: 0, toMs: 5000 })).toHaveLength(1);
	});
});
