// Trends in `npm run bench`: trends.series for 7 d and 30 d end to end (HTTP to the built server,
// PromQL to the rig's Prometheus, projection, JSON back) beside the raw PromQL query_range of the
// same expression and step, in the same run. Target (issue 10): p50/p99 < 300 ms.
import { startServer, TEST_TOKEN } from '../tests/helpers/server';
import { ensureSharedTrendHistory } from '../tests/helpers/trends-history';
import { rigEnv } from '../tests/helpers/rig';
import { CATALOG } from '../src/lib/server/prometheus/catalog';
import { chooseStep } from '../src/lib/server/prometheus/client';
import { CHART_POINTS } from '../src/lib/server/trends/trends';
import type { TrendRange } from '../src/lib/trends';

const DAY_MS = 86_400_000;

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function timeIt(
	runs: number,
	call: () => Promise<void>
): Promise<{ p50: number; p99: number }> {
	for (let i = 0; i < 3; i++) await call(); // warm-up
	const times: number[] = [];
	for (let i = 0; i < runs; i++) {
		const t0 = performance.now();
		await call();
		times.push(performance.now() - t0);
	}
	times.sort((a, b) => a - b);
	return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

/** Prints its own table; returns false when a target is missed. */
export async function benchTrends({ runs = 40 }: { runs?: number } = {}): Promise<boolean> {
	const env = rigEnv();
	const { instance, hostId } = await ensureSharedTrendHistory();
	const selector = `instance="${instance}"`;
	const server = await startServer({
		VMW_HOST_ID: hostId,
		VMW_PROMETHEUS_URL: env.prometheusUrl,
		VMW_PROMETHEUS_NODE_SELECTOR: selector,
		VMW_PROMETHEUS_CADVISOR_SELECTOR: selector,
		VMW_PROMETHEUS_VMWARDEN_SELECTOR: selector,
		VMW_SAMPLE_INTERVAL_MS: '5000',
		VMW_LOG_LEVEL: 'warn'
	});
	let ok = true;
	try {
		console.log(
			'\n trends.series (disk: 1 PromQL query + projection)    vmwarden p50 / p99     raw PromQL p50 / p99    target'
		);
		console.log(
			' --------------------------------------------------- ----------------------- ----------------------- --------'
		);
		for (const range of ['7d', '30d'] as TrendRange[]) {
			const url = `${server.url}/api/vm/metrics/trend/disk?range=${range}`;
			let state = '';
			const app = await timeIt(runs, async () => {
				const res = await fetch(url, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
				state = ((await res.json()) as { state: string }).state;
			});
			if (state !== 'ok') throw new Error(`trends.series disk ${range} answered ${state}`);
			const endMs = Date.now();
			const rangeMs = range === '7d' ? 7 * DAY_MS : 30 * DAY_MS;
			const { stepSec, startSec, endSec } = chooseStep({
				startSec: (endMs - rangeMs) / 1000,
				endSec: endMs / 1000,
				maxPoints: CHART_POINTS,
				minStepSec: 60
			});
			const expr = CATALOG.disk.queries(
				{ node: selector, cadvisor: selector, vmwarden: selector, hostId },
				stepSec
			)[0].alternatives[0].expr;
			const body = new URLSearchParams({
				query: expr,
				start: String(startSec),
				end: String(endSec),
				step: String(stepSec)
			});
			const raw = await timeIt(runs, async () => {
				const res = await fetch(`${env.prometheusUrl}/api/v1/query_range`, {
					method: 'POST',
					body
				});
				await res.text();
			});
			const met = app.p50 < 300 && app.p99 < 300;
			ok &&= met;
			console.log(
				` ${`disk ${range} (step ${stepSec} s)`.padEnd(51)} ${`${app.p50.toFixed(1)} / ${app.p99.toFixed(1)} ms`.padStart(23)} ${`${raw.p50.toFixed(1)} / ${raw.p99.toFixed(1)} ms`.padStart(23)} < 300    ${met ? 'ok' : 'MISSED'}`
			);
		}
	} finally {
		await server.stop();
	}
	return ok;
}
