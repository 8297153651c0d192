// npm run bench:profile — where the CPU goes per request: the built server under `node --cpu-prof`
// with the bench's load (health.snapshot over tRPC, then GET /api/vm/health), then the top
// self-time functions grouped by package. Loopback only, bounded in count.
// `npm run bench:profile -- idle [seconds]`: no load at all; where an idle minute's CPU goes
// (issue 24), with the process's own utime+stime over the window (robust to a busy machine).
import autocannon from 'autocannon';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { freePort, TEST_TOKEN } from '../tests/helpers/server';
import { cpuSeconds } from './footprint';

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
const profiled = !process.argv.includes('noprof');
const child = spawn(
	process.execPath,
	[...(profiled ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []), 'server.js'],
	{
		cwd: path.resolve(import.meta.dirname, '..'),
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
			MALLOC_ARENA_MAX: '1'
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
		await new Promise((r) => setTimeout(r, 2000)); // past start-up
		const cpu0 = await cpuSeconds(child.pid!);
		await new Promise((r) => setTimeout(r, seconds * 1000));
		const cpu = (await cpuSeconds(child.pid!)) - cpu0;
		console.log(
			`idle ${seconds} s: ${(cpu * 1000).toFixed(0)} ms of CPU = ${((cpu / seconds) * 100).toFixed(2)} % of one core (utime+stime${profiled ? ', with the profiler' : ''})`
		);
		idleWindowUs = seconds * 1e6;
	}
	if (route !== 'plain' && route !== 'idle')
		await load(`${server.url}/api/trpc/health.snapshot`, 10_000);
	if (route !== 'trpc' && route !== 'idle') await load(`${server.url}/api/vm/health`, 10_000);
} finally {
	await server.stop(); // SIGTERM: the process exits and writes its profile
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
