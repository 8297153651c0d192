// npm run bench — vmwarden's speed and memory figures beside the classic shell approach, in one run.
// Targets (issue 2): one sample < 200 µs, health.snapshot p99 < 20 ms at 50 clients, RSS < 100 MiB.
// Load goes only to 127.0.0.1 and is bounded in count and time.
import autocannon from 'autocannon';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { promisify } from 'node:util';
import { createSampler } from '../src/lib/server/host/sampler';
import { startServer, TEST_TOKEN } from '../tests/helpers/server';
import { benchMaintenance } from './maintenance';

const run = promisify(execFile);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function sampleCostUs(iterations = 2000) {
	const sampler = createSampler({ procRoot: '/proc', rootfs: '/', mounts: ['/'], intervalMs: 5000, log: quiet });
	for (let i = 0; i < 200; i++) await sampler.sampleOnce(); // warm up
	const cpu0 = process.cpuUsage();
	const t0 = process.hrtime.bigint();
	for (let i = 0; i < iterations; i++) await sampler.sampleOnce();
	const wallUs = Number(process.hrtime.bigint() - t0) / 1000 / iterations;
	const cpu = process.cpuUsage(cpu0);
	return { wallUs, cpuUs: (cpu.user + cpu.system) / iterations };
}

/** The roadmap's Phase 1.2 approach: two /proc/stat reads 1 s apart, plus df and free. */
async function shellApproachMs(runs = 3) {
	const script = `read_steal() { awk '/^cpu /{print $9" "$2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
s1=$(read_steal); sleep 1; s2=$(read_steal)
awk -v s1="$s1" -v s2="$s2" 'BEGIN{split(s1,a," "); split(s2,b," "); d=b[2]-a[2]; printf "%.1f\\n", (d > 0 ? (b[1]-a[1])/d*100 : 0)}'
df -P / >/dev/null; free -b >/dev/null`;
	const times: number[] = [];
	for (let i = 0; i < runs; i++) {
		const t0 = performance.now();
		await run('bash', ['-c', script]);
		times.push(performance.now() - t0);
	}
	return times.reduce((a, b) => a + b, 0) / runs;
}

async function rssMiB(pid: number) {
	const status = await readFile(`/proc/${pid}/status`, 'utf8');
	return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function load(url: string, amount: number) {
	return autocannon({
		url,
		connections: 50,
		amount,
		duration: 60, // upper bound; `amount` ends it first
		timeout: 10,
		headers: { authorization: `Bearer ${TEST_TOKEN}` }
	});
}

/**
 * The floor on this machine: a bare node:http server answering the same JSON body, under the
 * same load. What vmwarden adds on top of it is SvelteKit + tRPC + auth.
 */
async function bareNodeFloor(body: string) {
	const srv = createServer((_req, res) => {
		res.setHeader('content-type', 'application/json');
		res.end(body);
	});
	await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
	const { port } = srv.address() as { port: number };
	try {
		await load(`http://127.0.0.1:${port}/`, 1000);
		return await load(`http://127.0.0.1:${port}/`, 10_000);
	} finally {
		srv.close();
	}
}

const fmt = (n: number, d = 1) => n.toFixed(d).padStart(9);
const mark = (ok: boolean) => (ok ? 'ok' : 'MISSED');

async function main() {
	console.log('vmwarden bench — this machine:', (await readFile('/proc/cpuinfo', 'utf8')).match(/model name\s*:\s*(.*)/)?.[1] ?? '?');
	const sample = await sampleCostUs();
	const shellMs = await shellApproachMs();

	const server = await startServer({ VMW_SAMPLE_INTERVAL_MS: '5000', VMW_LOG_LEVEL: 'warn' });
	try {
		const pid = server.pid;
		await new Promise((r) => setTimeout(r, 1000));
		const rssStart = await rssMiB(pid);
		const snapshotUrl = `${server.url}/api/trpc/health.snapshot`;
		await load(snapshotUrl, 1000); // warm-up
		const res = await load(snapshotUrl, 10_000);
		const rssAfter = await rssMiB(pid);
		const plain = await load(`${server.url}/api/vm/health`, 2000);
		const body = await (await fetch(snapshotUrl, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).text();
		const floor = await bareNodeFloor(body);

		console.log('\n figure                                   vmwarden      baseline         target      ');
		console.log('                                                       (shell | bare node:http)');
		console.log(' ---------------------------------------- ------------ ---------------- ------------');
		console.log(` one host sample (wall, µs)              ${fmt(sample.wallUs)}    ${fmt(shellMs * 1000, 0)}      < 200       ${mark(sample.wallUs < 200)}`);
		console.log(` one host sample (CPU, µs)               ${fmt(sample.cpuUs)}`);
		console.log(` health.snapshot p50 @50 clients (ms)    ${fmt(res.latency.p50)}    ${fmt(floor.latency.p50)}`);
		console.log(` health.snapshot p99 @50 clients (ms)    ${fmt(res.latency.p99)}    ${fmt(floor.latency.p99)}      < 20        ${mark(res.latency.p99 < 20)}`);
		console.log(` health.snapshot throughput (req/s)      ${fmt(res.requests.average, 0)}    ${fmt(floor.requests.average, 0)}`);
		console.log(` GET /api/vm/health p99 (ms)             ${fmt(plain.latency.p99)}`);
		console.log(` RSS after start (MiB)                   ${fmt(rssStart)}                     < 100       ${mark(rssStart < 100)}`);
		console.log(` RSS after 11,000 requests (MiB)         ${fmt(rssAfter)}                     < 100       ${mark(rssAfter < 100)}`);
		console.log(` errors / non-2xx                        ${fmt(res.errors + res.non2xx, 0)}`);
		console.log(`\nThe shell approach (two /proc/stat reads 1 s apart + df + free) takes ${shellMs.toFixed(0)} ms per reading;`);
		console.log(`vmwarden's sampler derives steal from consecutive samples it already holds: ${(shellMs * 1000 / sample.wallUs).toFixed(0)}x less wall time per reading.`);
		console.log(`Bare node:http serving the same JSON under the same load is the machine's floor (the load generator shares its ${(await readFile('/proc/cpuinfo', 'utf8')).split('\nprocessor').length} CPUs).`);
		if (res.errors + res.non2xx > 0) process.exitCode = 1;
	} finally {
		await server.stop();
	}
}

await main();
await benchMaintenance(); // maintenance section (issue 8): bench/maintenance.ts
