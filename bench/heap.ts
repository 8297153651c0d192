// npm run bench:heap — decision 0004's question in one run: which V8 heap setting keeps RSS after
// the bench load under 100 MiB, and at what throughput. Each setting gets a fresh server, the
// same warm-up and 10,000 health.snapshot requests at 50 connections (loopback only).
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, TEST_TOKEN } from '../tests/helpers/server';

const root = path.resolve(import.meta.dirname, '..');
const SETTINGS: { name: string; nodeOptions: string; v8Flags: string[] }[] = [
	{ name: 'default V8 heap', nodeOptions: '', v8Flags: [] },
	{ name: '--optimize-for-size (0004)', nodeOptions: '', v8Flags: ['--optimize-for-size'] },
	{
		name: '+ --semi-space-growth-factor=1 (0014, current)',
		nodeOptions: '',
		v8Flags: ['--optimize-for-size', '--semi-space-growth-factor=1']
	},
	{
		name: 'NODE_OPTIONS=--max-semi-space-size=1',
		nodeOptions: '--max-semi-space-size=1',
		v8Flags: []
	},
	{
		name: 'NODE_OPTIONS=--max-semi-space-size=2',
		nodeOptions: '--max-semi-space-size=2',
		v8Flags: []
	}
];

const rssMiB = async (pid: number) =>
	Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

async function measure(s: (typeof SETTINGS)[number]) {
	const dir = await mkdtemp(path.join(tmpdir(), 'vmw-heap-'));
	const port = await freePort();
	const child = spawn(
		process.execPath,
		[
			'--input-type=module',
			'-e',
			`import('./server.js').then((m) => m.serve(undefined, { v8Flags: ${JSON.stringify(s.v8Flags)} }))`
		],
		{
			cwd: root,
			env: {
				PATH: process.env.PATH,
				...(s.nodeOptions ? { NODE_OPTIONS: s.nodeOptions } : {}),
				VMW_PORT: String(port),
				VMW_HOST: '127.0.0.1',
				VMW_DATA_DIR: dir,
				VMW_DATABASE_URL: `file:${path.join(dir, 'vmwarden.db')}`,
				VMW_API_TOKEN: TEST_TOKEN,
				VMW_ADMIN_PASSWORD: 'bench admin password 123',
				VMW_LOG_LEVEL: 'warn'
			},
			stdio: 'ignore'
		}
	);
	const exited = new Promise((r) => child.once('exit', r));
	const url = `http://127.0.0.1:${port}`;
	try {
		for (
			let i = 0;
			!(await fetch(`${url}/healthz`).then(
				(r) => r.ok,
				() => false
			));
			i++
		) {
			if (i > 300) throw new Error(`${s.name}: server did not answer in 30 s`);
			await new Promise((r) => setTimeout(r, 100));
		}
		const load = (amount: number) =>
			autocannon({
				url: `${url}/api/trpc/health.snapshot`,
				connections: 50,
				amount,
				duration: 60,
				timeout: 10,
				headers: { authorization: `Bearer ${TEST_TOKEN}` }
			});
		await load(1000);
		const r = await load(10_000);
		return { rss: await rssMiB(child.pid!), rps: r.requests.average, p99: r.latency.p99 };
	} finally {
		child.kill('SIGTERM');
		await exited;
		await rm(dir, { recursive: true, force: true });
	}
}

console.log(
	`load average at the start: ${(await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')} (figures as measured; a shared machine moves them)`
);
console.log(
	'\n setting                                         RSS after (MiB)   req/s   p99 (ms)'
);
for (const s of SETTINGS) {
	const m = await measure(s);
	console.log(
		` ${s.name.padEnd(47)} ${m.rss.toFixed(1).padStart(15)} ${m.rps.toFixed(0).padStart(7)} ${m.p99.toFixed(0).padStart(10)}`
	);
}
