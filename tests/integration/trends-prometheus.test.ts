// Trends against the rig's real Prometheus: 30 days of synthetic history with known answers
// (tests/helpers/trends-history.ts, the run's shared history under its own instance label), read through the
// BUILT server's REST endpoints and through the PromQL client, with a loopback proxy in front of
// Prometheus to make it refuse, answer 503, add warnings or hang (the shared one is never stopped).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, TEST_TOKEN, type RunningServer } from '../helpers/server';
import { requirePrometheus, rigEnv } from '../helpers/rig';
import { promQuery } from '../helpers/prometheus';
import { startPromProxy, PROXY_WARNING, type PromProxy } from '../helpers/prom-proxy';
import { ensureSharedTrendHistory, type SyntheticHistory } from '../helpers/trends-history';
import { createPromClient } from '../../src/lib/server/prometheus/client';
import { CATALOG } from '../../src/lib/server/prometheus/catalog';
import type { TrendAnswer, TrendData } from '../../src/lib/trends';

const DAY_MS = 86_400_000;
const GiB = 1024 ** 3;

describe('trends from Prometheus', () => {
	const env = rigEnv();
	let instance: string;
	let hostId: string;
	let selector: string;
	let hist: Omit<SyntheticHistory, 'text'>;
	let proxy: PromProxy;
	let server: RunningServer;

	beforeAll(async () => {
		await requirePrometheus(env);
		// the run's shared history (backfilled here unless one ended under 30 min ago): promtool
		// writes ~360 two-hour blocks; Prometheus' once-a-minute reload picks them up
		({ instance, hostId, meta: hist } = await ensureSharedTrendHistory(30 * 60));
		selector = `instance="${instance}"`;
		proxy = await startPromProxy(env.prometheusUrl);
		server = await startServer({
			VMW_HOST_ID: hostId,
			VMW_PROMETHEUS_URL: proxy.url,
			VMW_PROMETHEUS_NODE_SELECTOR: selector,
			VMW_PROMETHEUS_CADVISOR_SELECTOR: selector,
			VMW_PROMETHEUS_VMWARDEN_SELECTOR: selector,
			// generous for a loaded shared machine (30 d over freshly loaded blocks); the hang test waits it out
			VMW_PROMETHEUS_TIMEOUT_MS: '4000'
		});
	}, 540_000);
	afterAll(async () => {
		await server?.stop();
		await proxy?.close();
	});

	const get = (path: string, auth = true) =>
		fetch(`${server.url}${path}`, {
			headers: auth ? { authorization: `Bearer ${TEST_TOKEN}` } : {}
		});
	async function trend(
		metric: string,
		range: string
	): Promise<{ status: number; body: TrendAnswer; ms: number }> {
		const t0 = performance.now();
		const res = await get(`/api/vm/metrics/trend/${metric}?range=${range}`);
		return {
			status: res.status,
			body: (await res.json()) as TrendAnswer,
			ms: performance.now() - t0
		};
	}
	async function ok(metric: string, range: string): Promise<TrendData> {
		const { status, body } = await trend(metric, range);
		if (body.state !== 'ok')
			throw new Error(`${metric} ${range}: ${status} ${JSON.stringify(body).slice(0, 300)}`);
		return body.data;
	}

	describe('PromQL client', () => {
		it('query_range over 7 days picks a 60 s step aligned to it, under 11,000 points', async () => {
			const client = createPromClient({ baseUrl: env.prometheusUrl, timeoutMs: 10_000 });
			const endMs = hist.endSec * 1000;
			const a = await client.queryRange(`node_load1{${selector}}`, {
				startMs: endMs - 7 * DAY_MS,
				endMs
			});
			if (a.state !== 'ok') throw new Error(JSON.stringify(a));
			expect(a.data.stepSec).toBe(60);
			const pts = a.data.series[0].points;
			// continuous 5-minute samples and a 5-minute lookback: a point at every step, 7 d / 60 s + 1
			expect(pts.length).toBe((a.data.endMs - a.data.startMs) / 60_000 + 1);
			expect(pts.length).toBeLessThanOrEqual(11_000);
			expect(pts.every(([t]) => t % 60_000 === 0)).toBe(true);
			expect(pts.every(([, v]) => v === 0.75)).toBe(true);
		});

		it('bad PromQL is a typed bad_data answer, not a throw', async () => {
			const client = createPromClient({ baseUrl: env.prometheusUrl });
			const a = await client.query('rate(node_load1{');
			expect(a).toMatchObject({
				state: 'unavailable',
				kind: 'bad_data',
				reason: expect.stringMatching(/^Prometheus bad_data: /)
			});
		});
	});

	describe('REST /api/vm/metrics/trend', () => {
		it('disk: real mounts only, projection fitted after the cleanup, 55 % fifteen days after the last sample', async () => {
			const d = await ok('disk', '30d');
			expect(d).toMatchObject({
				source: 'prometheus',
				stepSec: 900,
				unit: 'percent',
				resolution: 'PromQL step 900 s'
			});
			// /run is tmpfs: not a real mount
			expect(d.series.map((s) => s.key)).toEqual(['/']);
			const p = d.projections!['/'];
			expect(p.status).toBe('growing');
			// the first 900 s point at or after the cleanup sees the lower value
			expect(p.stepDownAtMs! - hist.cleanupSec * 1000).toBeGreaterThanOrEqual(0);
			expect(p.stepDownAtMs! - hist.cleanupSec * 1000).toBeLessThanOrEqual(900_000);
			expect(p.slopePctPerDay).toBeCloseTo(0.5, 2);
			expect(p.r2).toBeGreaterThan(0.999);
			// 47.5 % at the last sample (hist.endSec), +0.5 %/day: 55 % after 15 days, 70 % after 45, 100 % after 105.
			// Points repeat the last sample up to 5 min (lookback), so allow ±0.02 day (29 min).
			const daysAfterEnd = (ms: number | null) => (ms! - hist.endSec * 1000) / DAY_MS;
			expect(daysAfterEnd(p.targets[0].atMs)).toBeCloseTo(15, 1);
			expect(Math.abs(daysAfterEnd(p.targets[0].atMs) - 15)).toBeLessThan(0.02);
			expect(Math.abs(daysAfterEnd(p.targets[1].atMs) - 45)).toBeLessThan(0.05);
			expect(Math.abs(daysAfterEnd(p.targets[2].atMs) - 105)).toBeLessThan(0.1);
			expect(d.thresholds.map((t) => t.value)).toEqual([55, 70]);
		});

		it("agrees with PromQL's predict_linear over the data since the cleanup", async () => {
			const d = await ok('disk', '30d');
			const p = d.projections!['/'];
			const expr = CATALOG.disk.queries(
				{ node: selector, cadvisor: selector, vmwarden: selector, hostId },
				900
			)[0].alternatives[0].expr;
			const ahead = 15 * 86_400;
			// 7 days back from the end lie wholly after the cleanup (day 15 of 30)
			const [pl] = await promQuery(`predict_linear((${expr})[7d:5m], ${ahead})`, {
				timeSec: hist.endSec
			});
			const theirs = Number(pl.value[1]);
			const [t0, v0] = p.line[0];
			const ours = v0 + (p.slopePctPerDay! * ((hist.endSec + ahead) * 1000 - t0)) / DAY_MS;
			expect(theirs).toBeCloseTo(55, 1);
			expect(Math.abs(ours - theirs)).toBeLessThan(0.05);
			// across the step the same function is flattened: the reason the fit starts after it
			const [across] = await promQuery(`predict_linear((${expr})[30d:5m], ${ahead})`, {
				timeSec: hist.endSec
			});
			expect(Number(across.value[1])).toBeLessThan(53);
		});

		it('steal: rate of mode="steal" over all modes; the 7-day mean is the known 6 %', async () => {
			const d = await ok('steal', '7d');
			expect(d.stepSec).toBe(300);
			const vals = d.series[0].points.map(([, v]) => v);
			const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
			// daily 3, 5, 7, 9, 11, 5, 2 % -> 42 / 7 = 6; the window is a few minutes off the data's days
			expect(mean).toBeCloseTo(6, 1);
			expect(Math.max(...vals)).toBeCloseTo(11, 5);
			// PromQL's own average over the same week agrees
			const expr = CATALOG.steal.queries(
				{ node: selector, cadvisor: selector, vmwarden: selector, hostId },
				300
			)[0].alternatives[0].expr;
			const [avg] = await promQuery(`avg_over_time((${expr})[7d:5m])`, { timeSec: hist.endSec });
			expect(Number(avg.value[1])).toBeCloseTo(6, 1);
		});

		it('memory: available and swap used', async () => {
			const d = await ok('memory', '24h');
			const by = Object.fromEntries(d.series.map((s) => [s.key, s.points.map(([, v]) => v)]));
			expect(new Set(by.available)).toEqual(new Set([4 * GiB]));
			expect(new Set(by.swap)).toEqual(new Set([0.5 * GiB]));
		});

		it("io: cAdvisor writes per container, the spike day flagged against the container's own median", async () => {
			const d = await ok('io', '30d');
			expect(d.series.map((s) => s.key)).toEqual(['invttrdg-backend', 'quiet']);
			expect(d.spikeFactor).toBe(3);
			// 10 MB/s for one UTC day against 1 MB/s on the others: ratio ~10; "quiet" never spikes
			expect(d.spikes).toHaveLength(1);
			expect(d.spikes![0]).toMatchObject({
				series: 'invttrdg-backend',
				dayStartMs: hist.spikeDayMs
			});
			expect(d.spikes![0].ratio).toBeGreaterThan(9);
			expect(d.spikes![0].ratio).toBeLessThan(11);
		});

		it('containers: the unhealthy gauge, worst value per step', async () => {
			const d = await ok('containers', '30d');
			const high = d.series[0].points.filter(([, v]) => v === 2).map(([t]) => t);
			expect(high.length).toBeGreaterThan(90); // a day of 900 s steps is 96
			expect(Math.min(...high)).toBeGreaterThanOrEqual(hist.spikeDayMs);
			expect(Math.max(...high)).toBeLessThanOrEqual(hist.spikeDayMs + DAY_MS + 900_000);
		});

		it('refuses without credentials, unknown metrics and ranges', async () => {
			expect((await get('/api/vm/metrics/trend/disk?range=7d', false)).status).toBe(401);
			expect((await get('/api/vm/metrics/trend/cpu?range=7d')).status).toBe(404);
			expect((await get('/api/vm/metrics/trend/disk?range=1y')).status).toBe(400);
		});
	});

	describe('when Prometheus misbehaves', () => {
		it('warnings -> partial with the data; 503, hang and refused -> unavailable with the last good time; host panels keep updating', async () => {
			const good = await trend('load', '24h');
			expect(good.body.state).toBe('ok');
			const goodAt = good.body.at;

			await proxy.set('warnings');
			const partial = await trend('load', '24h');
			expect(partial.status).toBe(200);
			expect(partial.body).toMatchObject({
				state: 'partial',
				reason: expect.stringContaining(PROXY_WARNING),
				lastGoodAt: goodAt
			});
			if (partial.body.state === 'partial')
				expect(partial.body.data.series[0].points.length).toBeGreaterThan(1000);

			await proxy.set('503');
			const down503 = await trend('load', '24h');
			expect(down503.status).toBe(503);
			expect(down503.body).toMatchObject({
				state: 'unavailable',
				reason: expect.stringMatching(/HTTP 503/),
				lastGoodAt: goodAt
			});
			if (down503.body.state === 'unavailable')
				expect(down503.body.lastGood?.series[0].key).toBe('load1');

			await proxy.set('hang');
			const before = await (await get('/api/vm/health')).json();
			const [hung, during] = await Promise.all([
				trend('load', '24h'),
				// the sampler-backed snapshot answers while the trend waits on Prometheus
				new Promise((r) => setTimeout(r, 700)).then(async () => {
					const t0 = performance.now();
					const body = await (await get('/api/vm/health')).json();
					return { body, ms: performance.now() - t0 };
				})
			]);
			expect(hung.body).toMatchObject({
				state: 'unavailable',
				reason: expect.stringMatching(/did not answer within 4000 ms/),
				lastGoodAt: goodAt
			});
			// within the 4000 ms timeout plus the request's own overhead
			expect(hung.ms).toBeLessThan(6000);
			expect(hung.ms).toBeGreaterThanOrEqual(3900);
			expect(during.ms).toBeLessThan(1000);
			expect(Date.parse(during.body.ts)).toBeGreaterThan(Date.parse(before.ts));
			expect((await get('/healthz', false)).status).toBe(200);

			await proxy.set('down');
			const refused = await trend('load', '24h');
			expect(refused.body).toMatchObject({
				state: 'unavailable',
				reason: expect.stringMatching(/unreachable: ECONNREFUSED/),
				lastGoodAt: goodAt
			});
			expect((await get('/healthz', false)).status).toBe(200);

			await proxy.set('pass');
			// the app's kept-alive connection to the proxy died with it: the client retries once on a fresh one
			const back = await trend('load', '24h');
			expect(back.body.state, JSON.stringify(back.body).slice(0, 300)).toBe('ok');
			expect(back.body.at).toBeGreaterThan(goodAt);
		});
	});
});
