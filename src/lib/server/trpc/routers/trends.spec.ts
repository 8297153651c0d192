// trends router through createCaller, no Prometheus configured: the local fallback over a fresh
// migrated SQLite file with known history.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Services } from '../../services';
import { createTestServices, type TestServices } from '../../../../../tests/helpers/services';
import { containerHistory, deploys, hostHistory } from '../../db/schema';
import { rollupHistory } from '../../db/rollup';
import type { HistoryPoint } from '$lib/health';

const MIN = 60_000;
const DAY = 86_400_000;

describe('trends router (local fallback)', () => {
	let t: TestServices;
	let services: Services;
	let now: number;
	const viewer = () => t.callerAs({ role: 'viewer', via: 'token' });
	const anon = () => t.callerAs(null);
	/** disk / grows 0.5 %/day and is 50 % now; steal is 2 % before 7 days ago and 4 % after */
	const disk = (ts: number) => 50 + (0.5 * (ts - now)) / DAY;
	const point = (ts: number): HistoryPoint => ({
		ts,
		stealPct: ts < now - 7 * DAY ? 2 : 4,
		busyPct: 10,
		load1: 0.5,
		memAvailableBytes: 4 * 1024 ** 3,
		swapUsedBytes: 0,
		swapCachedBytes: 0,
		disks: [{ mount: '/', usedPct: disk(ts) }]
	});

	beforeEach(async () => {
		t = await createTestServices({ env: { VMW_HOST_ID: 'vm-test' } });
		services = t.services;
		now = Date.now();
		const minuteNow = Math.floor(now / MIN) * MIN;
		// the last 24 h at 1 minute, and one minute every 15 before that (30 days), which roll up
		const rows: HistoryPoint[] = [];
		for (let ts = minuteNow - 31 * DAY; ts < minuteNow - DAY; ts += 15 * MIN) rows.push(point(ts));
		for (let ts = minuteNow - DAY; ts <= minuteNow; ts += MIN) rows.push(point(ts));
		for (let i = 0; i < rows.length; i += 500)
			await services.db
				.insert(hostHistory)
				.values(rows.slice(i, i + 500).map((p) => ({ hostId: 'vm-test', ...p })));
		await rollupHistory(services.db, { hostId: 'vm-test' });
	});
	afterEach(async () => {
		await t.stop();
	});

	it('refuses the unauthenticated, unknown hosts, unknown fields and metrics', async () => {
		await expect(anon().trends.series({ metric: 'disk', range: '7d' })).rejects.toMatchObject({
			code: 'UNAUTHORIZED'
		});
		await expect(
			viewer().trends.series({ metric: 'disk', range: '7d', hostId: 'other' })
		).rejects.toMatchObject({ code: 'NOT_FOUND' });
		await expect(
			viewer().trends.series({ metric: 'disk', range: '7d', extra: 1 } as never)
		).rejects.toMatchObject({ code: 'BAD_REQUEST' });
		await expect(
			viewer().trends.series({ metric: 'cpu' as never, range: '7d' })
		).rejects.toMatchObject({ code: 'BAD_REQUEST' });
		await expect(
			viewer().trends.series({ metric: 'disk', range: '1y' as never })
		).rejects.toMatchObject({ code: 'BAD_REQUEST' });
	});

	it('a registered host is answered here, never forwarded (a hub-local procedure): without a PromQL store, unavailable with the reason', async () => {
		// port 1 is unreachable (fetch refuses it): a forwarded call fails as BAD_GATEWAY naming the host (checked by removing the meta)
		await services.hosts.add({
			id: 'vm2',
			name: 'VM 2',
			kind: 'vmwarden',
			url: 'http://127.0.0.1:1'
		});
		const a = await viewer().trends.series({ metric: 'disk', range: '7d', hostId: 'vm2' });
		expect(a).toMatchObject({
			state: 'unavailable',
			lastGood: null,
			reason: expect.stringMatching(/^trends of host "vm2" need a PromQL store/)
		});
		// the own host still answers from its local history
		expect(
			await viewer().trends.series({ metric: 'disk', range: '7d', hostId: 'vm-test' })
		).toMatchObject({ state: 'ok', data: { source: 'local' } });
	});

	it('24h disk from the 1-minute history, with the projection to 55 %', async () => {
		const a = await viewer().trends.series({ metric: 'disk', range: '24h', hostId: 'vm-test' });
		if (a.state !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(a)}`);
		expect(a.data).toMatchObject({
			source: 'local',
			resolution: '1-minute history',
			stepSec: 60,
			unit: 'percent',
			noData: null
		});
		expect(a.data.thresholds.map((t) => t.value)).toEqual([55, 70]);
		const [line] = a.data.series;
		expect(line.key).toBe('/');
		// 24 h of minutes, bucketed at 60 s: one point per minute (1440 or 1441 depending on the alignment)
		expect(line.points.length).toBeGreaterThanOrEqual(1440);
		const p = a.data.projections!['/'];
		expect(p.status).toBe('growing');
		expect(p.slopePctPerDay).toBeCloseTo(0.5, 6);
		// 55 % is 10 days after `now` (50 %), i.e. 10 days + (now − last point) after the last point
		const last = line.points.at(-1)![0];
		expect(p.targets[0].days).toBeCloseTo(10 + (now - last) / DAY, 6);
	});

	it('30d from 15-minute rollups says so; 7d steal averages to its known value', async () => {
		const a = await viewer().trends.series({ metric: 'steal', range: '30d' });
		if (a.state !== 'ok') throw new Error('not ok');
		expect(a.data).toMatchObject({
			source: 'local',
			resolution: '15-minute rollups',
			stepSec: 900
		});
		const pts = a.data.series[0].points;
		// rollups start 31 days back; the 30-day window keeps only those inside it, 15 minutes apart
		expect(pts[0][0]).toBeGreaterThanOrEqual(now - 30 * DAY - 900_000);
		expect(pts[1][0] - pts[0][0]).toBe(900_000);
		const week = await viewer().trends.series({ metric: 'steal', range: '7d' });
		if (week.state !== 'ok') throw new Error('not ok');
		expect(week.data.resolution).toBe('1-minute history');
		// inside the last 7 days every point is 4 % (the 2 % ones are older); buckets of 300 s
		const vals = week.data.series[0].points
			.filter(([t]) => t >= now - 7 * DAY + 300_000)
			.map(([, v]) => v);
		expect(vals.length).toBeGreaterThan(0);
		expect(vals.every((v) => v === 4)).toBe(true);
	});

	it('carries the deploys recorded within the range as markers', async () => {
		await services.db.insert(deploys).values([
			{
				hostId: 'vm-test',
				ts: now - 2 * DAY,
				key: 'shop/web',
				container: 'shop-web-1',
				image: 'shop:2',
				imageId: 'sha256:b'
			},
			{
				hostId: 'vm-test',
				ts: now - 10 * DAY,
				key: 'shop/web',
				container: 'shop-web-1',
				image: 'shop:1',
				imageId: 'sha256:a'
			},
			{ hostId: 'other', ts: now - DAY, key: 'x', container: 'x', image: 'x', imageId: 'sha256:x' }
		]);
		const a = await viewer().trends.series({ metric: 'load', range: '7d' });
		if (a.state !== 'ok') throw new Error('not ok');
		// only this host's deploy inside the last 7 days
		expect(a.data.deploys).toEqual([
			{ atMs: now - 2 * DAY, container: 'shop-web-1', image: 'shop:2' }
		]);
	});

	it("io comes from the stats collector's container history; the unhealthy count needs Prometheus", async () => {
		const empty = await viewer().trends.series({ metric: 'io', range: '7d' });
		expect(empty).toMatchObject({
			state: 'ok',
			data: { series: [], noData: 'no container history for this range yet', spikes: [] }
		});

		// shop/web writes 1000 B/s for 6 days and 9000 B/s on the day 2 days ago: hourly rows are enough,
		// at half past (a point on midnight would be counted with the day before: each point stands for
		// the step ending at it)
		const rows = [];
		const day0 = Math.floor(now / DAY) * DAY - 6 * DAY;
		for (let ts = day0 + 1_800_000; ts < day0 + 6 * DAY; ts += 3_600_000)
			rows.push({
				hostId: 'vm-test',
				key: 'shop/web',
				ts,
				name: 'shop-web-1',
				writeBps: ts >= day0 + 4 * DAY && ts < day0 + 5 * DAY ? 9000 : 1000
			});
		await services.db.insert(containerHistory).values(rows);
		const a = await viewer().trends.series({ metric: 'io', range: '7d' });
		if (a.state !== 'ok') throw new Error('not ok');
		expect(a.data).toMatchObject({
			source: 'local',
			resolution: '1-minute container history',
			stepSec: 300,
			noData: null
		});
		expect(a.data.series.map((s) => s.key)).toEqual(['shop/web']);
		// one point per hour (one row each), each day's total = 24 x rate x 300 s step: the spike day is 9x the median
		expect(a.data.spikes).toEqual([
			{
				series: 'shop/web',
				dayStartMs: day0 + 4 * DAY,
				bytes: 24 * 9000 * 300,
				medianBytes: 24 * 1000 * 300,
				ratio: 9
			}
		]);

		const c = await viewer().trends.series({ metric: 'containers', range: '7d' });
		expect(c).toMatchObject({
			state: 'ok',
			data: { series: [], noData: expect.stringMatching(/needs Prometheus/) }
		});
	});
});
