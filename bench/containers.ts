// Containers bench (issue 7): 200 containers on the rig's dockerd — the reference stack (39,
// shaped like the roadmap's VM: decision 0018) scaled up with running replicas. One collector
// refresh (cgroups), containers.list p50/p99 through the built server and its RSS growth, beside
// the same figures gathered through Docker's stats API and through `docker ps` + `docker inspect`.
// The replicas are removed at the end; the stack when this was its last user.
import autocannon from 'autocannon';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { createDockerAdapter, createDockerApi } from '../src/lib/server/docker';
import { createStatsCollector } from '../src/lib/server/docker/stats-collector';
import { startServer, TEST_PASSWORD, TEST_TOKEN } from '../tests/helpers/server';
import { launchBrowser } from '../tests/helpers/browser';
import { requireDocker, rigEnv } from '../tests/helpers/rig';
import {
	addReplicas,
	REFERENCE_STACK,
	STACK_LABEL,
	useReferenceStack
} from '../tests/helpers/reference-stack';

const exec = promisify(execFile);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const COUNT = Number(process.env.VMW_BENCH_CONTAINERS ?? 200);

async function rssMiB(pid: number) {
	return Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

/** The lowest of 5 readings 1 s apart: one reading lands anywhere in a GC cycle. */
async function settledRssMiB(pid: number) {
	const xs: number[] = [];
	for (let i = 0; i < 5; i++) {
		xs.push(await rssMiB(pid));
		await new Promise((r) => setTimeout(r, 1000));
	}
	return Math.min(...xs);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n: number, d = 1) => n.toFixed(d).padStart(9);
const mark = (ok: boolean) => (ok ? 'ok' : 'MISSED');

export async function benchContainers() {
	const env = rigEnv();
	const docker = await requireDocker(env);
	const label = STACK_LABEL;
	const stack = await useReferenceStack(docker, env.testImage, `${process.pid}.containers`);
	const stackCount = (await docker.listContainers({ all: true, filters: { label: [label] } }))
		.length;
	let removeReplicas = async () => {};
	const server = await startServer({
		VMW_DOCKER_HOST: env.dockerHost,
		VMW_CONTAINER_LABELS: label,
		VMW_CONTAINER_SAMPLE_INTERVAL_MS: '5000',
		VMW_LOG_LEVEL: 'warn'
	});
	const url = `${server.url}/api/trpc/containers.list`;
	const opts = {
		url,
		connections: 10,
		duration: 60,
		timeout: 10,
		headers: { authorization: `Bearer ${TEST_TOKEN}` }
	};
	try {
		// baseline: the same load on the reference stack alone, so the growth below is what the replicas up to 200 cost
		await new Promise((r) => setTimeout(r, 2000));
		const rssBoot = await rssMiB(server.pid);
		await autocannon({ ...opts, amount: 2300 });
		const rssStart = await settledRssMiB(server.pid);

		const t0 = performance.now();
		removeReplicas = await addReplicas(docker, env.testImage, COUNT - stackCount);
		console.log(
			`\ncontainers bench: the reference stack (${stackCount} containers, ${REFERENCE_STACK.length} defined; up in ${(stack.result.ms / 1000).toFixed(1)} s) + ${COUNT - stackCount} replicas started in ${((performance.now() - t0) / 1000).toFixed(1)} s`
		);

		// --- in-process: one adapter refresh and one collector refresh over the 200
		const adapter = createDockerAdapter({
			api: createDockerApi({ host: env.dockerHost, timeoutMs: 10_000 }),
			intervalMs: 60_000,
			labels: [label],
			log: quiet
		});
		const t1 = performance.now();
		const first = await adapter.refresh();
		const firstRefreshMs = performance.now() - t1;
		if (first.state !== 'ok' || first.data.length !== COUNT)
			throw new Error(
				`expected ${COUNT} containers, got ${first.state === 'ok' ? first.data.length : first.reason}`
			);
		const refreshTimes: number[] = [];
		for (let i = 0; i < 5; i++) {
			const t = performance.now();
			await adapter.refresh();
			refreshTimes.push(performance.now() - t);
		}
		const collector = createStatsCollector({ adapter, log: quiet });
		await collector.collect(first.data);
		const collectTimes: number[] = [];
		const cpu0 = process.cpuUsage();
		for (let i = 0; i < 20; i++) {
			const t = performance.now();
			await collector.collect(first.data);
			collectTimes.push(performance.now() - t);
		}
		const cpu = process.cpuUsage(cpu0);
		const collectCpuMs = (cpu.user + cpu.system) / 1000 / 20;
		const fromCgroup = collector.status().fromCgroup;

		// --- baseline 1: Docker's stats API, one call per container, all in parallel
		const t2 = performance.now();
		const stats = await Promise.allSettled(first.data.map((c) => adapter.api.containerStats(c.id)));
		const statsApiMs = performance.now() - t2;
		const statsOk = stats.filter((s) => s.status === 'fulfilled').length;
		const t3 = performance.now();
		await adapter.api.containerStats(first.data[0].id);
		const statsOneMs = performance.now() - t3;

		// --- baseline 2: docker ps + docker inspect per container (the shell approach)
		const cli = {
			env: { ...process.env, DOCKER_HOST: env.dockerHost },
			maxBuffer: 64 * 1024 * 1024
		};
		const t4 = performance.now();
		const ids = (await exec('docker', ['ps', '-q', '--filter', `label=${label}`], cli)).stdout
			.split('\n')
			.filter(Boolean);
		for (const id of ids) await exec('docker', ['inspect', id], cli);
		const psInspectMs = performance.now() - t4;

		// --- the app: containers.list under load, RSS growth
		await new Promise((r) => setTimeout(r, 11_000)); // two refreshes of the server's own loop
		const check = await (
			await fetch(url, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })
		).json();
		const listed = check?.result?.data?.json?.data?.length;
		await autocannon({ ...opts, amount: 300 });
		const res = await autocannon({ ...opts, amount: 2000 });
		const rssAfter = await settledRssMiB(server.pid);
		const growth = rssAfter - rssStart;
		const refreshMs = median(collectTimes);

		// --- the page with 200 rows in Chromium: load until every row is there, then a sort
		const browser = await launchBrowser();
		let pageLoadMs = NaN;
		let sortMs = NaN;
		try {
			const page = await browser.context.newPage();
			await page.goto(`${server.url}/login?next=%2F`);
			await page.getByTestId('password').fill(TEST_PASSWORD);
			await page.getByTestId('login-submit').click();
			await page.waitForURL(`${server.url}/`);
			const t5 = performance.now();
			await page.goto(`${server.url}/containers`);
			await page.waitForFunction(
				(n) => document.querySelectorAll('[data-testid="container-row"]').length === n,
				COUNT
			);
			pageLoadMs = performance.now() - t5;
			sortMs = await page.evaluate(async () => {
				const t = performance.now();
				const button = [...document.querySelectorAll('th button')].find((b) =>
					b.textContent?.startsWith('CPU')
				) as HTMLButtonElement;
				button.click();
				await new Promise((r) => requestAnimationFrame(() => r(null)));
				return performance.now() - t;
			});
		} finally {
			await browser.close();
		}

		console.log(
			`\n figure (${COUNT} containers, 2 not running)     vmwarden     stats API   ps+inspect   target`
		);
		console.log(
			' ---------------------------------------------- ------------ ------------ ------------ ------------'
		);
		console.log(
			` one stats refresh, all containers (ms)         ${fmt(refreshMs)}    ${fmt(statsApiMs, 0)}    ${fmt(psInspectMs, 0)}    < 100     ${mark(refreshMs < 100)}`
		);
		console.log(
			`   (vmwarden: cgroup files, median of 20, ${collectCpuMs.toFixed(1)} ms of CPU each; load average now ${(await readFile('/proc/loadavg', 'utf8')).split(' ')[0]}; stats API: ${COUNT} calls in parallel, ${statsOk} answered; one call alone ${statsOneMs.toFixed(0)} ms)`
		);
		console.log(
			` container list refresh: list + inspect (ms)    ${fmt(median(refreshTimes))}      first, inspecting all: ${firstRefreshMs.toFixed(0)} ms`
		);
		console.log(` containers.list p50 @10 clients (ms)          ${fmt(res.latency.p50)}`);
		console.log(
			` containers.list p99 @10 clients (ms)          ${fmt(res.latency.p99)}                               < 50      ${mark(res.latency.p99 < 50)}`
		);
		console.log(
			` containers.list throughput (req/s)            ${fmt(res.requests.average, 0)}   rows per answer: ${listed}`
		);
		console.log(
			` server RSS growth ${stackCount} -> ${COUNT} containers (MiB)  ${fmt(growth)}   (${rssStart.toFixed(1)} -> ${rssAfter.toFixed(1)})          < 20      ${mark(growth < 20)}`
		);
		console.log(
			`   (lowest of 5 readings each; baseline after the same load on the reference stack alone; RSS right after start was ${rssBoot.toFixed(1)} MiB)`
		);
		console.log(
			` /containers page, ${COUNT} rows: load until all rendered (ms) ${fmt(pageLoadMs, 0)}   sort by CPU, to next frame: ${sortMs.toFixed(0)} ms`
		);
		console.log(
			` read from cgroups / errors+non-2xx              ${fmt(fromCgroup, 0)}    ${fmt(res.errors + res.non2xx, 0)}`
		);
		if (res.errors + res.non2xx > 0 || listed !== COUNT) process.exitCode = 1;
		await adapter.stop();
	} finally {
		await server.stop();
		await removeReplicas();
		await stack.release();
	}
}

if (import.meta.url === `file://${process.argv[1]}`) await benchContainers();
