// No VMW_PROMETHEUS_URL (the embedded default): the built server answers the same trend shape
// from its own SQLite history, marked source 'local', and /trends renders it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, TEST_TOKEN, type RunningServer } from '../helpers/server';
import type { TrendAnswer } from '../../src/lib/trends';

describe('trends without Prometheus', () => {
	let server: RunningServer;
	beforeAll(async () => {
		server = await startServer({ VMW_HOST_ID: 'trends-local' });
	});
	afterAll(async () => server?.stop());

	const trend = async (metric: string, range: string) => {
		const res = await fetch(`${server.url}/api/vm/metrics/trend/${metric}?range=${range}`, {
			headers: { authorization: `Bearer ${TEST_TOKEN}` }
		});
		return { status: res.status, body: (await res.json()) as TrendAnswer };
	};

	it.each([
		['disk', '24h', '1-minute history', 60],
		['steal', '7d', '1-minute history', 300],
		['memory', '30d', '15-minute rollups', 900],
		['io', '7d', '1-minute container history', 300]
	])('%s %s: local, %s, step %i s', async (metric, range, resolution, stepSec) => {
		const { status, body } = await trend(metric, range);
		expect(status).toBe(200);
		if (body.state !== 'ok') throw new Error(JSON.stringify(body));
		// a fresh server has no full minute stored yet: the shape is there, with the reason for no data
		expect(body.data).toMatchObject({
			metric,
			range,
			source: 'local',
			resolution,
			stepSec,
			series: [],
			noData: expect.any(String)
		});
	});

	it('renders /trends from the local history', async () => {
		const login = await fetch(`${server.url}/trends?range=24h`, {
			headers: { authorization: `Bearer ${TEST_TOKEN}` }
		});
		const html = await login.text();
		expect(login.status).toBe(200);
		expect(html).toMatch(
			/From this host(&#39;|')s own history \(no Prometheus configured\) · 1-minute history/
		);
		expect(html).toMatch(/No data: no local history for this range yet\./);
	});
});
