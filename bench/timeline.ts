// Timeline in `npm run bench` (issue 25): timeline.list over 7 days of a busy VM — a watchdog
// restart every 5 minutes, an alert raised and cleared every hour, a stored score every 5
// minutes with the memory dimension flapping every 2 hours, deploys and model loads a few
// times a day, the timeline's own rows (a container exit Docker restarted every 30 minutes, a
// cleanup run a day, a failed cron run every 6 hours), and beside them the minute histories a 5 s sampler and 40 containers leave
// (host_history, container_history: not read by the timeline, but they make the file the
// size it is on the VM). Measured beside reading the same rows table by table (one query per
// source, merged in JS). Target: timeline.list p99 < 100 ms. Run alone: node --import tsx bench/timeline.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, desc, eq, gte, lte } from 'drizzle-orm';
import { openDb, type Db } from '../src/lib/server/db';
import {
	actions,
	containerHistory,
	deploys,
	hostHistory,
	ollamaUsage,
	scoreHistory,
	timelineEvents
} from '../src/lib/server/db/schema';
import { listTimeline } from '../src/lib/server/timeline/timeline';
import { backfillHealthChanges } from '../src/lib/server/timeline/health-changes';

const MIN = 60_000;
const DAY = 86_400_000;
const H = 'vm-bench';

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function timeIt(
	runs: number,
	call: () => Promise<unknown>
): Promise<{ p50: number; p99: number }> {
	for (let i = 0; i < 5; i++) await call();
	const times: number[] = [];
	for (let i = 0; i < runs; i++) {
		const t0 = performance.now();
		await call();
		times.push(performance.now() - t0);
	}
	times.sort((a, b) => a - b);
	return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

async function insertChunked<T>(db: Db, table: Parameters<Db['insert']>[0], rows: T[], size = 500) {
	for (let i = 0; i < rows.length; i += size)
		await db.insert(table).values(rows.slice(i, i + size) as never);
}

async function seed(db: Db, now: number) {
	const from = now - 7 * DAY;
	const acts = [];
	for (let t = from; t < now; t += 5 * MIN)
		acts.push({
			hostId: H,
			ts: t,
			actor: 'watchdog',
			action: 'watchdog.restart',
			target: `stack${(t / MIN) % 8}-app-1`,
			input: JSON.stringify({ key: `stack${(t / MIN) % 8}/app`, reason: 'unhealthy' }),
			outcome: 'ok' as const,
			result: 'restarted',
			endedAt: t + 10_000
		});
	for (let t = from; t < now; t += 3_600_000) {
		acts.push({
			hostId: H,
			ts: t + 60_000,
			actor: 'alerts',
			action: 'alerts.send',
			target: 'swap.used',
			input: '{"kind":"raise","severity":"WARN"}',
			outcome: 'ok' as const,
			result: 'sent',
			endedAt: t + 60_000
		});
		acts.push({
			hostId: H,
			ts: t + 30 * MIN,
			actor: 'alerts',
			action: 'alerts.send',
			target: 'swap.used',
			input: '{"kind":"recover","severity":"OK"}',
			outcome: 'ok' as const,
			result: 'sent',
			endedAt: t + 30 * MIN
		});
	}
	await insertChunked(db, actions, acts);
	const scores = [];
	for (let t = from; t < now; t += 5 * MIN)
		scores.push({
			hostId: H,
			ts: t,
			total: 90,
			cpu: 20,
			memory: Math.floor((t - from) / 7_200_000) % 2 ? 15 : 20,
			disk: 15,
			services: 20,
			maintenance: 15,
			llm: 10
		});
	await insertChunked(db, scoreHistory, scores);
	// the health rows the score store writes with each score (decision 0029)
	await backfillHealthChanges(db, H);
	const dep = [];
	const models = [];
	for (let t = from; t < now; t += 6 * 3_600_000) {
		dep.push({
			hostId: H,
			ts: t,
			key: 'shop/api',
			container: 'shop-api-1',
			image: `shop/api:${t}`,
			imageId: `sha256:${t}`,
			previousImageId: null
		});
		models.push({
			hostId: H,
			model: 'phi3:mini',
			startedAt: t + MIN,
			lastSeenAt: t + 20 * MIN,
			endedAt: t + 21 * MIN,
			sizeBytes: 2_600_000_000
		});
	}
	await insertChunked(db, deploys, dep);
	await insertChunked(db, ollamaUsage, models);
	const events = [];
	for (let t = from; t < now; t += 30 * MIN)
		events.push({
			hostId: H,
			ts: t + 7 * MIN,
			kind: 'docker' as const,
			ref: `c${t}@${t}`,
			container: 'jobs-worker-1',
			stack: 'jobs',
			severity: 'WARN' as const,
			title: 'jobs-worker-1 exited (code 1), restarted by Docker',
			detail: 'Docker restarted it (restart policy); vmwarden did not act',
			bytes: null
		});
	for (let t = from; t < now; t += DAY)
		events.push({
			hostId: H,
			ts: t + 3 * 3_600_000,
			kind: 'cleanup' as const,
			ref: `run-${t}`,
			container: null,
			stack: null,
			severity: 'info' as const,
			title: 'cleanup standard: freed 1.2 GiB',
			detail: '/ 60 % → 58 % used',
			bytes: 1.2 * 1024 ** 3
		});
	for (let t = from; t < now; t += 6 * 3_600_000)
		events.push({
			hostId: H,
			ts: t + 11 * MIN,
			kind: 'cron' as const,
			ref: `backup@${t}`,
			container: null,
			stack: null,
			severity: 'CRIT' as const,
			title: 'cron job backup failed (exit 1)',
			detail: 'ran 2 s',
			bytes: null
		});
	events.sort((a, b) => a.ts - b.ts);
	await insertChunked(db, timelineEvents, events);
	const hosts = [];
	for (let t = from; t < now; t += MIN)
		hosts.push({
			hostId: H,
			ts: t,
			stealPct: 1,
			busyPct: 20,
			load1: 1,
			memAvailableBytes: 4e9,
			swapUsedBytes: 1e9,
			swapCachedBytes: 1e8,
			disks: []
		});
	await insertChunked(db, hostHistory, hosts);
	for (let c = 0; c < 40; c++) {
		const rows = [];
		for (let t = from; t < now; t += MIN)
			rows.push({
				hostId: H,
				key: `s${c % 8}/svc${c}`,
				ts: t,
				name: `s${c % 8}-svc${c}-1`,
				cpuPct: 1,
				memUsedBytes: 1e8,
				memLimitBytes: null,
				readBps: 0,
				writeBps: 0
			});
		await insertChunked(db, containerHistory, rows);
	}
	return acts.length + scores.length + dep.length + 2 * models.length + events.length;
}

/** The same first page read table by table: one bounded query per source, merged and cut in JS. */
async function tableByTable(db: Db, fromMs: number, toMs: number, limit: number) {
	const [a, s, d, m] = await Promise.all([
		db
			.select()
			.from(actions)
			.where(and(eq(actions.hostId, H), gte(actions.ts, fromMs), lte(actions.ts, toMs)))
			.orderBy(desc(actions.ts))
			.limit(limit + 1),
		db
			.select()
			.from(scoreHistory)
			.where(
				and(eq(scoreHistory.hostId, H), gte(scoreHistory.ts, fromMs), lte(scoreHistory.ts, toMs))
			)
			.orderBy(desc(scoreHistory.ts))
			.limit(limit + 1),
		db
			.select()
			.from(deploys)
			.where(and(eq(deploys.hostId, H), gte(deploys.ts, fromMs), lte(deploys.ts, toMs)))
			.orderBy(desc(deploys.ts))
			.limit(limit + 1),
		db
			.select()
			.from(ollamaUsage)
			.where(
				and(
					eq(ollamaUsage.hostId, H),
					gte(ollamaUsage.startedAt, fromMs),
					lte(ollamaUsage.startedAt, toMs)
				)
			)
			.orderBy(desc(ollamaUsage.startedAt))
			.limit(limit + 1)
	]);
	return [
		...a.map((r) => r.ts),
		...s.map((r) => r.ts),
		...d.map((r) => r.ts),
		...m.map((r) => r.startedAt)
	]
		.sort((x, y) => y - x)
		.slice(0, limit);
}

/** Prints its own table; returns false when the target is missed. */
export async function benchTimeline({ runs = 200 }: { runs?: number } = {}): Promise<boolean> {
	const dir = await mkdtemp(path.join(tmpdir(), 'vmw-bench-timeline-'));
	const db = await openDb({ url: `file:${path.join(dir, 'bench.db')}`, migrationsDir: 'drizzle' });
	try {
		const now = Math.floor(Date.now() / MIN) * MIN;
		const entries = await seed(db, now);
		const q = { hostId: H, fromMs: now - 7 * DAY, toMs: now, limit: 100 };
		let cursor: string | undefined;
		for (let i = 0; i < 10; i++)
			cursor = (await listTimeline(db, { ...q, cursor })).nextCursor ?? undefined;
		const rows: [string, { p50: number; p99: number }][] = [
			['timeline.list, 7 d, first page of 100', await timeIt(runs, () => listTimeline(db, q))],
			[
				'timeline.list, 7 d, 11th page (cursor)',
				await timeIt(runs, () => listTimeline(db, { ...q, cursor }))
			],
			[
				'timeline.list, 7 d, one container',
				await timeIt(runs, () => listTimeline(db, { ...q, container: 'stack3-app-1' }))
			],
			[
				'timeline.list, 7 d, kinds health + alert',
				await timeIt(runs, () => listTimeline(db, { ...q, kinds: ['health', 'alert'] }))
			],
			[
				'same rows table by table (4 queries + JS merge)',
				await timeIt(runs, () => tableByTable(db, q.fromMs, q.toMs, 100))
			]
		];
		console.log(
			`\n timeline (7 days, ${entries} source rows + 10,080 host and 403,200 container minutes)   p50 / p99        target`
		);
		console.log(
			' ------------------------------------------------------------------------------------ ---------------- ----------'
		);
		let ok = true;
		for (const [name, t] of rows) {
			const target = name.startsWith('timeline') ? t.p99 < 100 : true;
			ok &&= target;
			console.log(
				` ${name.padEnd(84)} ${`${t.p50.toFixed(1)} / ${t.p99.toFixed(1)} ms`.padEnd(16)} ${name.startsWith('timeline') ? (target ? 'p99<100 ✓' : 'p99<100 ✗') : ''}`
			);
		}
		return ok;
	} finally {
		db.$client.close();
		await rm(dir, { recursive: true, force: true });
	}
}

if (import.meta.url === `file://${process.argv[1]}`)
	process.exitCode = (await benchTimeline()) ? 0 : 1;
