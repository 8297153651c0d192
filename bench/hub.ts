// The hub in `npm run bench` (issue 15): `hub.overview` with 50 registered hosts.
//
// 1. Record: a real built server (this checkout's) answers `hub.summary` once, through the same
//    typed client the hub uses; the exact response (status, content type, body) is kept.
// 2. Replay: 50 lightweight loopback HTTP servers in this process, one per host: 48 answer that
//    recorded response (only to the registered bearer token), one answers 5 s late, and one port
//    refuses connections (nothing listens on it).
// 3. Hub: a built server whose hosts registry holds the 50 (written with the registry's own
//    module before it starts; per-host timeout BENCH_TIMEOUT_MS), refreshing every REFRESH_MS.
//    Measured: the first (cold) overview, which waits once for every host within its timeout;
//    then p50/p99 of `hub.overview` under load while the background refresh keeps hitting the
//    slow and the refused host; the hub's RSS after start and after the load.
// Targets: p99 < 300 ms, the cold call bounded by the per-host timeout (the slow host costs its
// own row, not the others' latency), RSS < 150 MiB with 50 hosts. Loopback only, bounded in time.
import autocannon from 'autocannon';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort, startServer, TEST_TOKEN, type RunningServer } from '../tests/helpers/server';
import { createVmwardenClient } from '../src/lib/client';
import { openDb } from '../src/lib/server/db';
import { createHostsRegistry } from '../src/lib/server/hosts/registry';
import type { OverviewRow } from '../src/lib/server/hub/types';

const HOSTS = 50;
/** the registered per-host timeout (the registry's default is 5 s: as slow as the slow host) */
const BENCH_TIMEOUT_MS = 2000;
const SLOW_MS = 5000;
const REFRESH_MS = 3000;
const LOAD_SECONDS = 15;
const CONNECTIONS = 10;
const P99_TARGET_MS = 300;
const RSS_TARGET_MIB = 150;
/** what the cold call may take beyond the per-host timeout (scheduling, 50 fetches, the answer) */
const COLD_SLACK_MS = 1000;
/** the token the hub holds for every replayed host (the replay servers refuse any other) */
const HOST_TOKEN = 'bench-hub-host-token-0123456789abcdef';

interface Recorded {
	path: string;
	status: number;
	contentType: string;
	body: string;
}

async function rssMiB(pid: number) {
	const status = await readFile(`/proc/${pid}/status`, 'utf8');
	return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** `hub.summary` from a real built server, captured as the hub's client receives it. */
async function recordSummary(): Promise<Recorded> {
	const real = await startServer({
		VMW_HOST_ID: 'recorded',
		VMW_SAMPLE_INTERVAL_MS: '1000',
		VMW_LOG_LEVEL: 'warn'
	});
	try {
		await new Promise((r) => setTimeout(r, 2500)); // a few samples, so the summary has figures
		let rec: Recorded | null = null;
		const client = createVmwardenClient({
			url: real.url,
			token: TEST_TOKEN,
			fetch: async (input, init) => {
				const res = await fetch(input, init);
				const body = await res.text();
				const u = new URL(String(input instanceof Request ? input.url : input));
				rec = {
					path: u.pathname,
					status: res.status,
					contentType: res.headers.get('content-type') ?? 'application/json',
					body
				};
				return new Response(body, { status: res.status, headers: res.headers });
			}
		});
		const summary = await client.hub.summary.query();
		if (summary.hostId !== 'recorded' || !rec)
			throw new Error(
				`hub.summary from the real server: unexpected ${JSON.stringify(summary).slice(0, 200)}`
			);
		return rec;
	} finally {
		await real.stop();
	}
}

type Behaviour = 'replay' | 'slow' | 'refused';

interface Replayer {
	id: string;
	behaviour: Behaviour;
	url: string;
	/** summary requests answered (or, for the slow one, received) */
	served: number;
	close(): Promise<void>;
}

async function startReplayer(id: string, behaviour: Behaviour, rec: Recorded): Promise<Replayer> {
	const port = await freePort();
	const r: Replayer = {
		id,
		behaviour,
		url: `http://127.0.0.1:${port}`,
		served: 0,
		close: async () => {}
	};
	if (behaviour === 'refused') return r; // nothing listens: connections are refused
	const timers = new Set<ReturnType<typeof setTimeout>>();
	const srv: Server = createServer((req, res) => {
		const { pathname } = new URL(req.url ?? '/', 'http://x');
		if (req.headers.authorization !== `Bearer ${HOST_TOKEN}`) {
			res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
			return;
		}
		if (pathname !== rec.path) {
			res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not recorded"}');
			return;
		}
		r.served++;
		const answer = () =>
			res.writeHead(rec.status, { 'content-type': rec.contentType }).end(rec.body);
		if (behaviour === 'slow') {
			const t = setTimeout(() => {
				timers.delete(t);
				if (!res.destroyed) answer();
			}, SLOW_MS);
			timers.add(t);
		} else answer();
	});
	await new Promise<void>((resolve) => srv.listen(port, '127.0.0.1', resolve));
	r.close = async () => {
		for (const t of timers) clearTimeout(t);
		srv.closeAllConnections();
		await new Promise((resolve) => srv.close(resolve));
	};
	return r;
}

/** A hub database with the hosts registered (the registry's own module, before the hub opens it). */
async function hubDatabase(dir: string, hosts: Replayer[]): Promise<Record<string, string>> {
	const url = `file:${path.join(dir, 'hub.db')}`;
	const secretKey = 'bench-hub-secret-key-0123456789abcdef-0123';
	const db = await openDb({ url, migrationsDir: 'drizzle' });
	try {
		const registry = createHostsRegistry({ db, localHostId: 'hub', secretKey });
		for (const h of hosts)
			await registry.add({
				id: h.id,
				name: `VM ${h.id}`,
				kind: 'vmwarden',
				url: h.url,
				timeoutMs: BENCH_TIMEOUT_MS,
				secrets: { token: HOST_TOKEN }
			});
	} finally {
		db.$client.close();
	}
	return { VMW_DATABASE_URL: url, VMW_SECRET_KEY: secretKey };
}

async function overview(hub: RunningServer): Promise<OverviewRow[]> {
	const res = await fetch(`${hub.url}/api/trpc/hub.overview`, {
		headers: { authorization: `Bearer ${TEST_TOKEN}` }
	});
	const body = (await res.json()) as {
		result?: { data: { json: OverviewRow[] } };
		error?: unknown;
	};
	if (!res.ok || !body.result)
		throw new Error(`hub.overview: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
	return body.result.data.json;
}

/** The rows as expected: every replayed host ok, the slow and the refused one unavailable with a reason. */
function checkRows(rows: OverviewRow[], hosts: Replayer[]): string[] {
	const problems: string[] = [];
	if (rows.length !== hosts.length + 1)
		problems.push(
			`${rows.length} rows, expected ${hosts.length + 1} (the hub's own and ${hosts.length})`
		);
	const byId = new Map(rows.map((r) => [r.hostId, r]));
	for (const h of hosts) {
		const row = byId.get(h.id);
		if (!row) problems.push(`no row for ${h.id}`);
		else if (h.behaviour === 'replay' && row.state !== 'ok')
			problems.push(`${h.id} (replaying) is ${row.state}: ${'reason' in row ? row.reason : ''}`);
		else if (h.behaviour !== 'replay' && row.state !== 'unavailable')
			problems.push(`${h.id} (${h.behaviour}) is ${row.state}, expected unavailable`);
	}
	return problems;
}

/** what this section reads of an autocannon result (the package ships no types) */
interface LoadResult {
	latency: { p50: number; p99: number };
	requests: { average: number };
	errors: number;
	non2xx: number;
}

interface HubRun {
	coldMs: number;
	coldProblems: string[];
	rssStart: number;
	rssAfterCold: number;
	rssAfter: number;
	load: LoadResult;
	after: OverviewRow[];
	afterProblems: string[];
	slowAsked: number;
	served: number;
}

/** One hub over `hosts`: the cold overview, then LOAD_SECONDS of load, with RSS along the way. */
async function runHub(hosts: Replayer[]): Promise<HubRun> {
	const dir = await mkdtemp(path.join(tmpdir(), 'vmw-bench-hub-'));
	let hub: RunningServer | null = null;
	try {
		hub = await startServer({
			VMW_HOST_ID: 'hub',
			VMW_HUB_REFRESH_MS: String(REFRESH_MS),
			VMW_SAMPLE_INTERVAL_MS: '5000',
			VMW_LOG_LEVEL: 'warn',
			...(await hubDatabase(dir, hosts))
		});
		await new Promise((r) => setTimeout(r, 1000));
		const rssStart = await rssMiB(hub.pid);
		const t0 = performance.now();
		const cold = await overview(hub);
		const coldMs = performance.now() - t0;
		const rssAfterCold = await rssMiB(hub.pid);
		const slow = hosts.find((h) => h.behaviour === 'slow');
		const slowAskedBefore = slow?.served ?? 0;
		const load: LoadResult = await autocannon({
			url: `${hub.url}/api/trpc/hub.overview`,
			connections: CONNECTIONS,
			duration: LOAD_SECONDS,
			timeout: 10,
			headers: { authorization: `Bearer ${TEST_TOKEN}` }
		});
		const rssAfter = await rssMiB(hub.pid);
		const after = await overview(hub);
		return {
			coldMs,
			coldProblems: checkRows(cold, hosts),
			rssStart,
			rssAfterCold,
			rssAfter,
			load,
			after,
			afterProblems: checkRows(after, hosts),
			// the background refresh kept asking the slow host during the load (every REFRESH_MS)
			slowAsked: (slow?.served ?? 0) - slowAskedBefore,
			served: hosts.reduce((n, h) => n + h.served, 0)
		};
	} finally {
		await hub?.stop();
		await rm(dir, { recursive: true, force: true });
	}
}

/** Prints its own table; returns false when a target is missed. */
export async function benchHub(): Promise<boolean> {
	const rec = await recordSummary();
	const hosts: Replayer[] = [];
	const control: Replayer[] = [];
	try {
		for (let i = 0; i < HOSTS; i++)
			hosts.push(
				await startReplayer(
					`bench-${String(i).padStart(2, '0')}`,
					i === 1 ? 'slow' : i === 2 ? 'refused' : 'replay',
					rec
				)
			);
		// the control: the same hub with all 50 hosts answering, to show what the slow and the refused one cost
		for (let i = 0; i < HOSTS; i++)
			control.push(await startReplayer(`ctrl-${String(i).padStart(2, '0')}`, 'replay', rec));
		const m = await runHub(hosts);
		const c = await runHub(control);

		const slow = hosts.find((h) => h.behaviour === 'slow')!;
		const refused = hosts.find((h) => h.behaviour === 'refused')!;
		const slowRow = m.after.find((r) => r.hostId === slow.id);
		const refusedRow = m.after.find((r) => r.hostId === refused.id);
		const okRows = m.after.filter((r) => r.state === 'ok').length;
		const errors = m.load.errors + m.load.non2xx + c.load.errors + c.load.non2xx;

		const coldMet = m.coldMs <= BENCH_TIMEOUT_MS + COLD_SLACK_MS;
		const p99Met = m.load.latency.p99 < P99_TARGET_MS;
		const rssMet = m.rssAfter < RSS_TARGET_MIB;
		const rowsMet =
			[...m.coldProblems, ...m.afterProblems, ...c.coldProblems, ...c.afterProblems].length === 0 &&
			errors === 0;
		const mark = (ok: boolean) => (ok ? 'ok' : 'MISSED');
		const row = (what: string, measured: string, ctrl: string, target: string, ok?: boolean) =>
			console.log(
				` ${what.padEnd(52)} ${measured.padStart(13)} ${ctrl.padStart(13)}   ${target.padEnd(20)} ${ok === undefined ? '' : mark(ok)}`
			);

		console.log(`
 hub.overview, ${HOSTS} hosts: ${HOSTS - 2} replaying a recorded hub.summary (${rec.body.length} B), 1 answering after ${SLOW_MS / 1000} s, 1 refusing;`);
		console.log(
			` control: the same with all ${HOSTS} replaying. Per-host timeout ${BENCH_TIMEOUT_MS} ms, refresh every ${REFRESH_MS / 1000} s, load ${CONNECTIONS} clients × ${LOAD_SECONDS} s`
		);
		row('figure', 'slow+refused', 'control', 'target');
		console.log(` ${'-'.repeat(52)} ${'-'.repeat(13)} ${'-'.repeat(13)}   ${'-'.repeat(20)}`);
		row(
			'first overview (cold: every host once)',
			`${m.coldMs.toFixed(0)} ms`,
			`${c.coldMs.toFixed(0)} ms`,
			`<= ${BENCH_TIMEOUT_MS}+${COLD_SLACK_MS} ms`,
			coldMet
		);
		row(
			'hub.overview p50',
			`${m.load.latency.p50.toFixed(1)} ms`,
			`${c.load.latency.p50.toFixed(1)} ms`,
			''
		);
		row(
			'hub.overview p99 (background refresh running)',
			`${m.load.latency.p99.toFixed(1)} ms`,
			`${c.load.latency.p99.toFixed(1)} ms`,
			`< ${P99_TARGET_MS} ms`,
			p99Met
		);
		row(
			'hub.overview throughput (req/s)',
			m.load.requests.average.toFixed(0),
			c.load.requests.average.toFixed(0),
			''
		);
		row(
			'hub RSS after start (hosts registered, none asked)',
			`${m.rssStart.toFixed(1)} MiB`,
			`${c.rssStart.toFixed(1)} MiB`,
			''
		);
		row(
			'hub RSS after the first overview (50 hosts fetched)',
			`${m.rssAfterCold.toFixed(1)} MiB`,
			`${c.rssAfterCold.toFixed(1)} MiB`,
			''
		);
		row(
			`hub RSS with ${HOSTS} hosts after the load`,
			`${m.rssAfter.toFixed(1)} MiB`,
			`${c.rssAfter.toFixed(1)} MiB`,
			`< ${RSS_TARGET_MIB} MiB`,
			rssMet
		);
		row(
			'rows ok / unavailable after the load (incl. the hub)',
			`${okRows} / ${m.after.length - okRows}`,
			`${c.after.filter((r) => r.state === 'ok').length} / ${c.after.filter((r) => r.state !== 'ok').length}`,
			`${HOSTS - 1} / 2, ${HOSTS + 1} / 0`,
			rowsMet
		);
		row(
			'slow host asked during the load (refresh)',
			`${m.slowAsked} times`,
			'-',
			'>= 1',
			m.slowAsked >= 1
		);
		row('summaries served by the replay servers', String(m.served), String(c.served), '');
		row(
			'errors / non-2xx',
			String(m.load.errors + m.load.non2xx),
			String(c.load.errors + c.load.non2xx),
			'0',
			errors === 0
		);
		if (slowRow?.state === 'unavailable') console.log(`   slow host's row:    ${slowRow.reason}`);
		if (refusedRow?.state === 'unavailable')
			console.log(`   refused host's row: ${refusedRow.reason}`);
		for (const p of [...m.coldProblems, ...m.afterProblems, ...c.coldProblems, ...c.afterProblems])
			console.log(`   PROBLEM: ${p}`);
		return coldMet && p99Met && rssMet && rowsMet && m.slowAsked >= 1;
	} finally {
		await Promise.all([...hosts, ...control].map((h) => h.close()));
	}
}

// `node --import tsx bench/hub.ts`: this section alone
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
	if (!(await benchHub())) process.exitCode = 1;
}
