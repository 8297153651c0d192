// npm run bench:profile — where the CPU goes per request: the built server under `node --cpu-prof`
// with the bench's load (health.snapshot over tRPC, then GET /api/vm/health), then the top
// self-time functions grouped by package. Loopback only, bounded in count.
// `npm run bench:profile -- idle [seconds]`: no load at all; where an idle minute's CPU goes
// (issue 24), with the process's own utime+stime over the window (robust to a busy machine).
// Options after it: `noprof` (the CPU figure without the profiler's own cost), `stack` (watch the
// reference stack on the rig's dockerd, decision 0018: takes a lease on it, scopes the app and the
// watchdog to its label, watchdog in dry-run so that it never restarts the shared stack's
// containers; prints RSS and PSS too), `build=DIR` (serve that build, a folder in the repo such as build-a, instead of ./build: two
// runs side by side compare two builds under the same load), `warmup=S` (start the window S
// seconds after start-up instead of 2: the steady state), `VMW_X=value` (a setting for the run),
// `alloc` (instead of the CPU profile,
// where the window's allocations come from, garbage included: bench/alloc-sampler.js).
import autocannon from 'autocannon';
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { freePort, TEST_TOKEN } from '../tests/helpers/server';
import { cpuSplit, memoryMiB } from './footprint';
import { requireDocker, rigEnv } from '../tests/helpers/rig';
import { STACK_LABEL, useReferenceStack } from '../tests/helpers/reference-stack';

interface Node {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	children?: number[];
}
interface Profile {
	startTime: number;
	endTime: number;
	nodes: Node[];
	samples: number[];
	timeDeltas: number[];
}

const route = process.argv[2] ?? 'both';
/** idle: only the samples of the idle window (the profile's last N s), not start-up's */
let idleWindowUs = 0;
const dir = await mkdtemp(path.join(tmpdir(), 'vmw-prof-'));
// --cpu-prof is not allowed in NODE_OPTIONS (Node 20): the server is started here, as startServer does.
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
// `idle N noprof`: the same idle window without the profiler (its sampling thread costs CPU too)
const alloc = process.argv.includes('alloc');
const profiled = !process.argv.includes('noprof') && !alloc;
const allocFile = path.join(dir, 'alloc.heapprofile');
const withStack = process.argv.includes('stack');
const buildDir = process.argv.find((a) => a.startsWith('build='))?.slice('build='.length);
const root = path.resolve(import.meta.dirname, '..');
let stack: { release(): Promise<boolean> } | null = null;
let stackEnv: Record<string, string> = {};
if (withStack) {
	const rig = rigEnv();
	stack = await useReferenceStack(
		await requireDocker(rig),
		rig.testImage,
		`${process.pid}.bench-profile`
	);
	stackEnv = {
		VMW_DOCKER_HOST: rig.dockerHost,
		VMW_CONTAINER_LABELS: STACK_LABEL,
		VMW_WATCHDOG_ONLY_LABEL: STACK_LABEL,
		VMW_WATCHDOG: 'dry-run'
	};
}
// `build=DIR`: server.js's serve(DIR), as `npm start` calls it with the build it chose
const serveArgs = buildDir
	? [
			'--input-type=module',
			'-e',
			`const { serve } = await import(${JSON.stringify(path.join(root, 'server.js'))}); await serve(${JSON.stringify(path.resolve(buildDir))});`
		]
	: ['server.js'];
const child = spawn(
	process.execPath,
	[
		...(profiled ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []),
		...(alloc ? ['--import', path.join(import.meta.dirname, 'alloc-sampler.js')] : []),
		...serveArgs
	],
	{
		cwd: root,
		env: {
			PATH: process.env.PATH,
			VMW_PORT: String(port),
			VMW_HOST: '127.0.0.1',
			VMW_DATA_DIR: dir,
			VMW_DATABASE_URL: `file:${path.join(dir, 'vmwarden.db')}`,
			VMW_API_TOKEN: TEST_TOKEN,
			VMW_ADMIN_PASSWORD: 'bench admin password 123',
			VMW_LOG_LEVEL: 'warn',
			// as in the bench: no Docker (never the machine's own daemon) unless VMW_DOCKER_HOST is given
			VMW_DOCKER_HOST: process.env.VMW_DOCKER_HOST ?? `unix://${path.join(dir, 'no-docker.sock')}`,
			MALLOC_ARENA_MAX: '1',
			...(alloc ? { VMW_BENCH_ALLOC_OUT: allocFile } : {}),
			...stackEnv,
			// `VMW_X=value` arguments: settings for this run (what a feature costs: VMW_WATCHDOG=off)
			...Object.fromEntries(
				process.argv
					.filter((a) => /^VMW_[A-Z0-9_]+=/.test(a))
					.map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)])
			)
		},
		stdio: 'ignore'
	}
);
const exited = new Promise((r) => child.once('exit', r));
for (let i = 0; ; i++) {
	if (i > 300) throw new Error('server did not answer in 30 s');
	if (
		await fetch(`${url}/healthz`).then(
			(r) => r.ok,
			() => false
		)
	)
		break;
	await new Promise((r) => setTimeout(r, 100));
}
const server = {
	url,
	async stop() {
		child.kill('SIGTERM');
		await exited;
	}
};
const load = (url: string, amount: number) =>
	autocannon({
		url,
		connections: 50,
		amount,
		duration: 60,
		timeout: 10,
		headers: { authorization: `Bearer ${TEST_TOKEN}` }
	});
try {
	if (route === 'idle') {
		const seconds = Number(process.argv[3] ?? 60);
		// past start-up; `warmup=S`: S seconds, for the steady state (the retries of an absent Docker
		// or Ollama have backed off to once a minute after ~2 minutes)
		const warmupS = Number(process.argv.find((a) => a.startsWith('warmup='))?.slice(7) ?? 2);
		await new Promise((r) => setTimeout(r, warmupS * 1000));
		if (alloc) child.kill('SIGUSR2'); // start sampling
		const cpu0 = await cpuSplit(child.pid!);
		await new Promise((r) => setTimeout(r, seconds * 1000));
		const cpu1 = await cpuSplit(child.pid!);
		const [user, sys] = [cpu1.user - cpu0.user, cpu1.sys - cpu0.sys];
		const cpu = user + sys;
		if (alloc) {
			child.kill('SIGUSR2'); // write the profile
			for (let i = 0; !(await stat(allocFile).catch(() => null)); i++) {
				if (i > 100) throw new Error(`no allocation profile written to ${allocFile}`);
				await new Promise((r) => setTimeout(r, 100));
			}
		}
		const mem = await memoryMiB(child.pid!);
		const loadavg = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
		console.log(
			`idle ${seconds} s${withStack ? ' watching the reference stack' : ', no Docker'}: ${(cpu * 1000).toFixed(0)} ms of CPU = ${((cpu / seconds) * 100).toFixed(2)} % of one core (utime+stime: ${(user * 1000).toFixed(0)} + ${(sys * 1000).toFixed(0)} ms${profiled ? ', with the profiler' : ''}); RSS ${mem.rssMiB.toFixed(1)} MiB, PSS ${mem.pssMiB.toFixed(1)} MiB; load average ${loadavg}`
		);
		idleWindowUs = seconds * 1e6;
	}
	if (route !== 'plain' && route !== 'idle')
		await load(`${server.url}/api/trpc/health.snapshot`, 10_000);
	if (route !== 'trpc' && route !== 'idle') await load(`${server.url}/api/vm/health`, 10_000);
} finally {
	await server.stop(); // SIGTERM: the process exits and writes its profile
	await stack?.release();
}
if (alloc) {
	await new Promise((r) => setTimeout(r, 200)); // the write is synchronous; let it finish
	reportAllocations(JSON.parse(await readFile(allocFile, 'utf8')) as AllocProfile);
	process.exit();
}
if (!profiled) process.exit();

const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error(`no profile written in ${dir}`);
const prof = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as Profile;

const self = new Map<number, number>();
let at = prof.startTime;
const from = idleWindowUs ? prof.endTime - idleWindowUs - 1e6 : 0; // the window, less the 1 s shutdown took at most
prof.samples.forEach((id, i) => {
	at += prof.timeDeltas[i] ?? 0;
	if (at < from || (idleWindowUs && at > prof.endTime - 1e6)) return;
	self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
});
if (idleWindowUs)
	for (const n of prof.nodes) if (n.callFrame.functionName === '(idle)') self.delete(n.id); // what remains is work
const total = [...self.values()].reduce((a, b) => a + b, 0);

/** node_modules/<pkg> or build/… or node:internal — the "who" of a frame. */
function owner(url: string): string {
	if (!url) return '(native/V8)';
	if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
	const nm = url.lastIndexOf('node_modules/');
	if (nm >= 0) {
		const rest = url.slice(nm + 13).split('/');
		return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
	}
	const b = url.search(/build[^/]*\/server\//);
	return b >= 0 ? 'app: ' + url.slice(b).replace(/^build[^/]*\//, '') : url;
}

const byOwner = new Map<string, number>();
const byFn = new Map<string, number>();
for (const n of prof.nodes) {
	const t = self.get(n.id) ?? 0;
	if (!t) continue;
	const o = owner(n.callFrame.url);
	byOwner.set(o, (byOwner.get(o) ?? 0) + t);
	const key = `${n.callFrame.functionName || '(anonymous)'}  ${o}:${n.callFrame.lineNumber + 1}`;
	byFn.set(key, (byFn.get(key) ?? 0) + t);
}
const pct = (t: number) => ((t / total) * 100).toFixed(1).padStart(5) + ' %';
console.log(
	`profile: ${path.join(dir, file)}  (${(total / 1e6).toFixed(2)} s of samples)\n\nself time by owner:`
);
for (const [o, t] of [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, 15))
	console.log(`  ${pct(t)}  ${o}`);
console.log('\ntop functions (self time):');
for (const [f, t] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 25))
	console.log(`  ${pct(t)}  ${f}`);

interface AllocNode {
	callFrame: { functionName: string; url: string; lineNumber: number };
	selfSize: number;
	children: AllocNode[];
}
interface AllocProfile {
	head: AllocNode;
}

/** Bytes allocated over the window: by owner, by function (self), and by the app function nearest above each allocation. */
function reportAllocations(p: AllocProfile) {
	const byOwner = new Map<string, number>();
	const byFn = new Map<string, number>();
	const byAppFrame = new Map<string, number>();
	const byCaller = new Map<string, number>();
	let total = 0;
	const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
	const frame = (n: AllocNode) =>
		`${n.callFrame.functionName || '(anonymous)'}  ${owner(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
	const walk = (n: AllocNode, app: string, caller: string) => {
		if (n.callFrame.url.endsWith('alloc-sampler.js')) return; // the sampler's own
		const o = owner(n.callFrame.url);
		const here = o.startsWith('app: ') ? frame(n) : app;
		const by =
			o.startsWith('node:') || o === '(native/V8)' ? caller : o.startsWith('app: ') ? 'app' : o;
		if (n.selfSize) {
			total += n.selfSize;
			add(byOwner, o, n.selfSize);
			add(byFn, frame(n), n.selfSize);
			add(byAppFrame, here, n.selfSize);
			add(byCaller, by, n.selfSize);
		}
		for (const c of n.children) walk(c, here, by);
	};
	walk(p.head, '(no app frame)', '(node only)');
	const kib = (b: number) =>
		`${(b / 1024).toFixed(0).padStart(7)} KiB ${((b / total) * 100).toFixed(1).padStart(5)} %`;
	const top = (title: string, m: Map<string, number>, n: number) => {
		console.log(`\n${title}:`);
		for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n))
			console.log(`  ${kib(v)}  ${k}`);
	};
	console.log(
		`allocated over the window (sampled, garbage included): ${(total / 1024 / 1024).toFixed(2)} MiB`
	);
	top('by owner', byOwner, 12);
	top(
		'by the nearest package or the app above (node internals counted to their caller)',
		byCaller,
		12
	);
	top('by function (self)', byFn, 25);
	top('by the nearest app function above', byAppFrame, 30);
}
