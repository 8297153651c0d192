// History and trends over a full week of the app's own 1-minute history (the embedded default, no
// Prometheus), in `npm run bench` (issue 21 item 1, decision 0020). Alone:
//   node --import tsx bench/local-history.ts
// A built server gets a database with a week of host_history, its 15-minute rollups and 40
// containers' 1-minute writes (tests/helpers/local-history.ts). Each call is timed end to end
// over HTTP with the read token, beside reading the same rows with one SQL query in this process
// (the floor: what any answer from those rows costs at least). Meanwhile /healthz is timed every
// 20 ms: the longest answer is how long the server's event loop was held. Then the /trends page in
// Chromium: from navigation to the first chart drawn. Targets: each call p99 < 50 ms, the
// page < 1 s.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from '@libsql/client';
import { startServer, TEST_PASSWORD, TEST_TOKEN } from '../tests/helpers/server';
import { writeWeekOfHistory } from '../tests/helpers/local-history';
import { launchBrowser } from '../tests/helpers/browser';
import { TREND_IDS } from '../src/lib/trends';

const DAY_MS = 86_400_000;
const HOST_ID = 'bench-local';

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function timeIt(
	runs: number,
	call: () => Promise<void>
): Promise<{ p50: number; p99: number; first: number }> {
	const t = performance.now();
	await call();
	const first = performance.now() - t;
	for (let i = 0; i < 2; i++) await call(); // warm-up
	const times: number[] = [];
	for (let i = 0; i < runs; i++) {
		const t0 = performance.now();
		await call();
		times.push(performance.now() - t0);
	}
	times.sort((a, b) => a - b);
	return { first, p50: percentile(times, 50), p99: percentile(times, 99) };
}

/** GET /healthz every `everyMs` (whether or not the last one answered; at most 50 waiting) until stopped; the slowest answers. */
function healthzProbe(url: string, everyMs = 20) {
	const times: number[] = [];
	const pending = new Set<Promise<void>>();
	const timer = setInterval(() => {
		if (pending.size >= 50) return;
		const t0 = performance.now();
		const p = fetch(`${url}/healthz`)
			.then((r) => r.arrayBuffer())
			.then(() => void times.push(performance.now() - t0))
			.catch(() => void times.push(Infinity));
		pending.add(p);
		void p.finally(() => pending.delete(p));
	}, everyMs);
	return {
		async stop() {
			clearInterval(timer);
			await Promise.all(pending);
			times.sort((a, b) => a - b);
			return { p99: percentile(times, 99), max: times.at(-1) ?? NaN };
		}
	};
}

const ms = (v: number) => `${v.toFixed(1)}`.padStart(7);

/** Prints its own table; returns false when a target is missed. */
export async function benchLocalHistory({ runs = 30 }: { runs?: number } = {}): Promise<boolean> {
	const dir = await mkdtemp(path.join(tmpdir(), 'vmw-bench-local-'));
	const url = `file:${path.join(dir, 'vmwarden.db')}`;
	const week = await writeWeekOfHistory({ url, hostId: HOST_ID });
	const server = await startServer({
		VMW_HOST_ID: HOST_ID,
		VMW_DATABASE_URL: url,
		VMW_SAMPLE_INTERVAL_MS: '5000',
		VMW_LOG_LEVEL: 'warn'
	});
	const sql = createClient({ url });
	const auth = { headers: { authorization: `Bearer ${TEST_TOKEN}` } };
	const trpc = async (procedure: string, input: unknown) => {
		// a kept-alive socket the server closed just then is not the answer being timed: once more
		const get = (u: string) => fetch(u, auth).catch(() => fetch(u, auth));
		const res = await get(
			`${server.url}/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`
		);
		const body = (await res.json()) as { result?: { data: { json: { state?: string } } } };
		if (
			res.status !== 200 ||
			(body.result?.data.json.state && body.result.data.json.state !== 'ok')
		)
			throw new Error(
				`${procedure} ${JSON.stringify(input)} answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`
			);
	};
	const floor = (query: string, fromMs: number) => async () =>
		void (await sql.execute({ sql: query, args: [HOST_ID, fromMs] }));
	let ok = true;
	try {
		const now = Date.now();
		const raw7d = floor(
			'SELECT * FROM host_history WHERE host_id = ? AND ts >= ?',
			now - 7 * DAY_MS
		);
		const rollups30d = floor(
			'SELECT * FROM host_history_rollup WHERE host_id = ? AND ts >= ?',
			now - 30 * DAY_MS
		);
		const writes30d = floor(
			'SELECT key, ts, write_bps FROM container_history WHERE host_id = ? AND ts >= ?',
			now - 30 * DAY_MS
		);
		const cases: {
			name: string;
			call: () => Promise<void>;
			floor: () => Promise<void>;
			rows: string;
		}[] = [
			{
				name: 'health.history 7d',
				call: () => trpc('health.history', { range: '7d' }),
				floor: raw7d,
				rows: 'host_history, 7 d'
			},
			{
				name: 'trends.series disk 7d',
				call: () => trpc('trends.series', { metric: 'disk', range: '7d' }),
				floor: raw7d,
				rows: 'host_history, 7 d'
			},
			...TREND_IDS.map((metric) => ({
				name: `trends.series ${metric} 30d`,
				call: () => trpc('trends.series', { metric, range: '30d' }),
				floor: metric === 'io' ? writes30d : rollups30d,
				rows: metric === 'io' ? `container_history, ${week.containers} containers` : 'rollups, 30 d'
			}))
		];
		console.log(
			`\n local history, a week of 1-minute points (${week.containers} containers), no Prometheus`
		);
		console.log(
			' call (HTTP, read token)             first    p50      p99      one SQL read of its rows p50   /healthz max   target'
		);
		console.log(
			' ----------------------------------- -------- -------- -------- ------------------------------ -------------- ---------'
		);
		for (const c of cases) {
			const probe = healthzProbe(server.url);
			const app = await timeIt(runs, c.call);
			const held = await probe.stop();
			const base = await timeIt(runs, c.floor);
			const met = app.p99 < 50;
			ok &&= met;
			console.log(
				` ${c.name.padEnd(35)} ${ms(app.first)}  ${ms(app.p50)}  ${ms(app.p99)}  ${ms(base.p50)} (${c.rows})`.padEnd(
					107
				) + `${ms(held.max)}        < 50 ms  ${met ? 'ok' : 'MISSED'}`
			);
		}

		const browser = await launchBrowser();
		try {
			const page = await browser.context.newPage();
			await page.goto(`${server.url}/login?next=%2F`);
			await page.getByTestId('password').fill(TEST_PASSWORD);
			await page.getByTestId('login-submit').click();
			await page.waitForURL(`${server.url}/`);
			const times: number[] = [];
			for (const range of ['7d', '30d', '7d', '30d']) {
				const t0 = performance.now();
				await page.goto(`${server.url}/trends?range=${range}`, { waitUntil: 'load' });
				// the first drawn path: layerchart's first <path> is its clip rectangle, never visible
				await page
					.getByTestId('trend-disk')
					.locator('svg path')
					.filter({ visible: true })
					.first()
					.waitFor();
				times.push(performance.now() - t0);
			}
			const worst = Math.max(...times.slice(2));
			const met = worst < 1000;
			ok &&= met;
			console.log(
				` /trends page (7d, 30d; after one visit each), load to the first chart: ${times
					.slice(2)
					.map((t) => `${t.toFixed(0)} ms`)
					.join(', ')}; first visits ${times
					.slice(0, 2)
					.map((t) => `${t.toFixed(0)} ms`)
					.join(', ')}   < 1 s  ${met ? 'ok' : 'MISSED'}`
			);
		} finally {
			await browser.close();
		}
	} finally {
		sql.close();
		await server.stop();
		await rm(dir, { recursive: true, force: true });
	}
	return ok;
}

if (import.meta.url === `file://${process.argv[1]}`) {
	if (!(await benchLocalHistory())) process.exitCode = 1;
}
