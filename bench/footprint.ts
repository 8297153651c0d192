// Footprint figures of a process tree, read from /proc (the processes' own CPU time, not
// wall-clock: robust to a busy machine), and the peers the bench compares vmwarden with
// (issue 24): prometheus-node-exporter, netdata and glances from Debian, on loopback ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../tests/helpers/server';

const CLK_TCK = 100; // getconf CLK_TCK on Linux

async function statFields(pid: number) {
	const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
	return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15). */
export async function cpuSeconds(pid: number) {
	const { user, sys } = await cpuSplit(pid);
	return user + sys;
}

/** utime and stime of a process apart, in seconds: the kernel's share (file reads, sockets) shows in sys. */
export async function cpuSplit(pid: number) {
	const f = await statFields(pid);
	return { user: Number(f[11]) / CLK_TCK, sys: Number(f[12]) / CLK_TCK };
}

/** The process and its live descendants (netdata runs its collectors as child processes). */
async function tree(pid: number): Promise<number[]> {
	const out = [pid];
	for (let i = 0; i < out.length; i++) {
		const tasks = await readdir(`/proc/${out[i]}/task`).catch(() => []);
		for (const t of tasks) {
			const kids = await readFile(`/proc/${out[i]}/task/${t}/children`, 'utf8').catch(() => '');
			for (const k of kids.split(' ')) if (k.trim()) out.push(Number(k));
		}
	}
	return out;
}

/** CPU seconds of a process tree: each live process's own, plus what its reaped children used (cutime + cstime). */
export async function treeCpuSeconds(pid: number) {
	let sum = 0;
	for (const p of await tree(pid)) {
		const f = await statFields(p).catch(() => null);
		if (f) sum += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK;
	}
	return sum;
}

/** RSS and PSS (MiB) of a process tree; PSS shares each shared page among the processes mapping it. */
export async function memoryMiB(pid: number) {
	let rss = 0;
	let pss = 0;
	for (const p of await tree(pid)) {
		const rollup = await readFile(`/proc/${p}/smaps_rollup`, 'utf8').catch(() => '');
		rss += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
		pss += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
	}
	return { rssMiB: rss / 1024, pssMiB: pss / 1024 };
}

export interface Idle {
	cpuPct: number;
	rssMiB: number;
	pssMiB: number;
}

/** CPU % of one core, RSS and PSS of idle process trees over the same window. */
export async function idleFootprint(
	pids: Record<string, number>,
	windowMs: number
): Promise<Record<string, Idle>> {
	const before = Object.fromEntries(
		await Promise.all(
			Object.entries(pids).map(async ([k, pid]) => [k, await treeCpuSeconds(pid)] as const)
		)
	);
	await new Promise((r) => setTimeout(r, windowMs));
	const out: Record<string, Idle> = {};
	for (const [k, pid] of Object.entries(pids))
		out[k] = {
			...(await memoryMiB(pid)),
			cpuPct: (((await treeCpuSeconds(pid)) - before[k]) / (windowMs / 1000)) * 100
		};
	return out;
}

export interface Peer {
	name: string;
	pid: number;
	/** what it does while idle, for a fair comparison: its refresh interval */
	refresh: string;
	/** URLs the status-endpoint section loads, with how many requests (a slow peer gets fewer) */
	endpoints: { label: string; url: string; amount: number }[];
	/** the number of series it keeps or serves */
	series(): Promise<number>;
	stop(): Promise<void>;
}

function spawnPeer(command: string, args: string[], hint: string) {
	const child = spawn(command, args, { stdio: 'ignore', detached: false });
	const failed = new Promise<never>((_, reject) =>
		child.once('error', (e) => reject(new Error(`${command}: ${e.message} (${hint})`)))
	);
	failed.catch(() => {});
	const exited = new Promise<void>((r) => child.once('exit', () => r()));
	return { child, failed, exited };
}

async function waitFor(name: string, url: string, failed: Promise<never>, seconds: number) {
	for (let i = 0; ; i++) {
		const up = await Promise.race([
			fetch(url).then(
				(r) => r.ok,
				() => false
			),
			failed
		]);
		if (up) return;
		if (i > seconds * 10) throw new Error(`${name} did not answer on ${url} in ${seconds} s`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

const stopper =
	(child: ChildProcess, exited: Promise<void>, cleanup?: () => Promise<void>) => async () => {
		child.kill('SIGTERM');
		await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
		if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
		await cleanup?.();
	};

const countLines = async (url: string) =>
	(await (await fetch(url)).text()).split('\n').filter((l) => l && !l.startsWith('#')).length;

/** prometheus-node-exporter on a free loopback port with its Debian defaults, as users run it beside vmwarden. */
export async function startNodeExporter(): Promise<Peer> {
	const port = await freePort();
	const url = `http://127.0.0.1:${port}/metrics`;
	const { child, failed, exited } = spawnPeer(
		'prometheus-node-exporter',
		[`--web.listen-address=127.0.0.1:${port}`],
		'apt-get install prometheus-node-exporter'
	);
	await waitFor('prometheus-node-exporter', url, failed, 10);
	return {
		name: 'prometheus-node-exporter',
		pid: child.pid!,
		refresh: 'only when scraped',
		endpoints: [{ label: 'node_exporter /metrics', url, amount: 2000 }],
		series: () => countLines(url),
		stop: stopper(child, exited)
	};
}

/**
 * netdata (Debian's 1.37) in the foreground on a loopback port, its state in a temporary
 * directory; its plugins (apps.plugin, go.d, python.d...) are child processes and count.
 */
export async function startNetdata(): Promise<Peer> {
	const port = await freePort();
	const dir = await mkdtemp(path.join(tmpdir(), 'vmw-netdata-'));
	const set = (section: string, option: string, value: string) => [
		'-W',
		'set',
		section,
		option,
		value
	];
	const args = [
		'-D',
		'-i',
		'127.0.0.1',
		'-p',
		String(port),
		...set('global', 'run as user', 'root'),
		...set('global', 'cache directory', dir),
		...set('global', 'lib directory', dir),
		...set('global', 'log directory', dir),
		...set('cloud', 'enabled', 'no'),
		...set('global', 'anonymous statistics', 'no')
	];
	const { child, failed, exited } = spawnPeer('netdata', args, 'apt-get install netdata');
	const base = `http://127.0.0.1:${port}`;
	await waitFor('netdata', `${base}/api/v1/info`, failed, 30);
	return {
		name: 'netdata',
		pid: child.pid!,
		refresh: 'every 1 s (its default)',
		endpoints: [
			{
				label: 'netdata one chart',
				url: `${base}/api/v1/data?chart=system.cpu&after=-60&format=json`,
				amount: 2000
			},
			{ label: 'netdata /api/v1/allmetrics', url: `${base}/api/v1/allmetrics`, amount: 1000 }
		],
		series: () => countLines(`${base}/api/v1/allmetrics?format=prometheus`),
		stop: stopper(child, exited, () => rm(dir, { recursive: true, force: true }))
	};
}

/** Numeric leaves of a JSON value: glances' "series". */
function leaves(v: unknown): number {
	if (typeof v === 'number') return 1;
	if (Array.isArray(v)) return v.reduce((n: number, x) => n + leaves(x), 0);
	if (v && typeof v === 'object')
		return Object.values(v).reduce((n: number, x) => n + leaves(x), 0);
	return 0;
}

/** glances (Debian's 3.3) as a REST server (-w --disable-webui) on a loopback port, its Debian defaults. */
export async function startGlances(): Promise<Peer> {
	const port = await freePort();
	const { child, failed, exited } = spawnPeer(
		'glances',
		['-w', '--disable-webui', '-B', '127.0.0.1', '-p', String(port)],
		'apt-get install glances python3-bottle'
	);
	const url = `http://127.0.0.1:${port}/api/3/all`;
	await waitFor('glances', url, failed, 60);
	return {
		name: 'glances',
		pid: child.pid!,
		refresh: 'when asked, at most every 2 s',
		endpoints: [{ label: 'glances /api/3/all', url, amount: 200 }],
		series: async () => leaves(await (await fetch(url)).json()),
		stop: stopper(child, exited)
	};
}

/** The peers that are installed here; a missing one is named, not fatal (the rig installs them). */
export async function startPeers(): Promise<{ peers: Peer[]; missing: string[] }> {
	const peers: Peer[] = [];
	const missing: string[] = [];
	for (const [cmd, start] of [
		['prometheus-node-exporter', startNodeExporter],
		['netdata', startNetdata],
		['glances', startGlances]
	] as const) {
		const onPath = (process.env.PATH ?? '').split(':').some((d) => existsSync(path.join(d, cmd)));
		if (!onPath) missing.push(cmd);
		else peers.push(await start());
	}
	return { peers, missing };
}
