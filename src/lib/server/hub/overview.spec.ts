import { describe, expect, it } from 'vitest';
import { createLogger } from '../log';
import type { HostView } from '../hosts/types';
import { compareRows, createOverview } from './overview';
import type { HostSummary, OverviewRow } from './types';

const view = (id: string, timeoutMs = 200): HostView => ({
	id,
	name: `VM ${id}`,
	kind: 'vmwarden',
	url: `https://${id}.example`,
	dockerHost: null,
	nodeExporterUrl: null,
	timeoutMs,
	hasToken: true,
	hasCaPem: false,
	hasTlsClient: false,
	hasSshKey: false,
	createdAt: 0,
	updatedAt: 0
});

const summary = (
	hostId: string,
	status: HostSummary['status'],
	score: number | null = null
): HostSummary => ({
	hostId,
	at: 1,
	score: score === null ? null : { value: score, status, reasons: [] },
	dimensions: [{ name: 'disk', status, detail: 'x' }],
	unhealthy: [],
	diskProjection: null,
	lastCleanup: null,
	status
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = createLogger('overview-test');

describe('overview', () => {
	it('answers worst first; a slow host costs its own row its timeout, a dead one its row', async () => {
		const calls: string[] = [];
		const overview = createOverview({
			local: {
				id: 'hub',
				name: 'hub',
				kind: 'local',
				timeoutMs: 200,
				summary: async () => summary('hub', 'OK', 95)
			},
			hosts: async () => [view('a'), view('slow', 150), view('dead'), view('warn')],
			async fetchSummary(h) {
				calls.push(h.id);
				if (h.id === 'slow') await sleep(5_000);
				if (h.id === 'dead') throw new Error('connect ECONNREFUSED 127.0.0.1:1');
				return summary(h.id, h.id === 'warn' ? 'WARN' : 'OK', h.id === 'warn' ? 70 : 90);
			},
			refreshMs: 60_000,
			log
		});
		const t0 = Date.now();
		const rows = await overview.rows();
		const took = Date.now() - t0;
		// the slow host's 150 ms timeout bounds the first answer (not its 5 s)
		expect(took).toBeGreaterThanOrEqual(140);
		expect(took).toBeLessThan(1_000);
		expect(rows.map((r) => [r.hostId, r.state])).toEqual([
			['dead', 'unavailable'],
			['slow', 'unavailable'],
			['warn', 'ok'],
			['a', 'ok'],
			['hub', 'ok']
		]);
		const slow = rows.find((r) => r.hostId === 'slow')!;
		expect(slow.state === 'unavailable' && slow.reason).toBe(
			'VM slow did not answer within 150 ms'
		);
		const dead = rows.find((r) => r.hostId === 'dead')!;
		expect(dead.state === 'unavailable' && [dead.reason, dead.lastGood, dead.lastGoodAt]).toEqual([
			'connect ECONNREFUSED 127.0.0.1:1',
			null,
			null
		]);
		// the second call answers from memory at once, no new fetch (refreshMs not reached)
		const t1 = Date.now();
		await overview.rows();
		expect(Date.now() - t1).toBeLessThan(50);
		expect(calls.sort()).toEqual(['a', 'dead', 'slow', 'warn']);
		overview.stop();
	});

	it('keeps the last good summary and its time when a host stops answering', async () => {
		let up = true;
		let t = 1_000;
		const overview = createOverview({
			local: {
				id: 'hub',
				name: 'hub',
				kind: 'local',
				timeoutMs: 200,
				summary: async () => summary('hub', 'OK')
			},
			hosts: async () => [view('b')],
			async fetchSummary(h) {
				if (!up) throw new Error('gone');
				return summary(h.id, 'OK', 88);
			},
			refreshMs: 10,
			now: () => t,
			log
		});
		await overview.rows();
		up = false;
		t = 5_000;
		// stale (t moved past refreshMs): this answer is still from memory, the refresh runs behind it
		const rows = await overview.rows();
		expect(rows.find((r) => r.hostId === 'b')!.state).toBe('ok');
		await sleep(20);
		const after = (await overview.rows()).find((r) => r.hostId === 'b')!;
		expect(after.state).toBe('unavailable');
		if (after.state === 'unavailable') {
			expect(after.lastGoodAt).toBe(1_000);
			expect(after.lastGood?.score?.value).toBe(88);
			expect(after.reason).toBe('gone');
			// tried at t = 5 000, first failure: the next try one period (10 ms) later
			expect(after.nextTryAt).toBe(5_010);
		}
		overview.stop();
	});

	it('sends nothing while nobody asks', async () => {
		let fetches = 0;
		let t = 0;
		const overview = createOverview({
			local: {
				id: 'hub',
				name: 'hub',
				kind: 'local',
				timeoutMs: 200,
				summary: async () => summary('hub', 'OK')
			},
			hosts: async () => [view('c')],
			async fetchSummary(h) {
				fetches++;
				return summary(h.id, 'OK');
			},
			refreshMs: 20,
			idleAfterMs: 50,
			now: () => t,
			log
		});
		await overview.rows();
		expect(fetches).toBe(1);
		t = 30; // past one period, still within a minute (idleAfterMs 50) of the last ask
		await sleep(70); // the background refresh runs
		expect(fetches).toBeGreaterThanOrEqual(2);
		t = 1_000; // a second later nobody has asked for 1 s > idleAfterMs
		await sleep(60);
		const settled = fetches;
		await sleep(100);
		expect(fetches).toBe(settled);
		overview.stop();
	});

	it('retries a failing host with backoff (period, then doubling), and at the period again once it answers', async () => {
		const tries: number[] = [];
		let up = false;
		const overview = createOverview({
			local: {
				id: 'hub',
				name: 'hub',
				kind: 'local',
				timeoutMs: 200,
				summary: async () => summary('hub', 'OK')
			},
			hosts: async () => [view('d')],
			async fetchSummary(h) {
				tries.push(Date.now());
				if (!up) throw new Error('down');
				return summary(h.id, 'OK');
			},
			refreshMs: 20,
			maxBackoffMs: 160,
			log
		});
		const keepAsking = setInterval(() => void overview.rows(), 10);
		await sleep(400);
		// every 20 ms for 400 ms would be ~20 tries; 20, 20, 40, 80, 160, 160 ms apart gives ~6
		const down = tries.length;
		expect(down).toBeGreaterThanOrEqual(4);
		expect(down).toBeLessThanOrEqual(8);
		const gaps = tries.slice(1).map((t, i) => t - tries[i]);
		expect(gaps.at(-1)!).toBeGreaterThanOrEqual(150);
		up = true;
		await sleep(400);
		expect((await overview.rows()).find((r) => r.hostId === 'd')!.state).toBe('ok');
		const upTries = tries.length - down;
		expect(upTries).toBeGreaterThanOrEqual(8); // back at the 20 ms period once it answered
		clearInterval(keepAsking);
		overview.stop();
	});

	it('orders unavailable, CRIT, WARN, UNKNOWN, OK, then the lower score, then local first', () => {
		const ok = (
			id: string,
			s: HostSummary['status'],
			score: number | null,
			kind: OverviewRow['kind'] = 'vmwarden'
		): OverviewRow => ({
			hostId: id,
			name: id,
			kind,
			state: 'ok',
			data: summary(id, s, score),
			at: 0
		});
		const down: OverviewRow = {
			hostId: 'z',
			name: 'z',
			kind: 'vmwarden',
			state: 'unavailable',
			reason: 'x',
			lastGood: null,
			lastGoodAt: null,
			at: 0
		};
		const rows = [
			ok('l', 'OK', 90, 'local'),
			ok('m', 'OK', 90),
			ok('n', 'OK', 80),
			ok('u', 'UNKNOWN', null),
			ok('w', 'WARN', 70),
			down,
			ok('c', 'CRIT', 40)
		];
		expect(rows.sort(compareRows).map((r) => r.hostId)).toEqual([
			'z',
			'c',
			'w',
			'u',
			'n',
			'l',
			'm'
		]);
	});
});
