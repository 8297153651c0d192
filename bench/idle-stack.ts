// Idle footprint watching the reference stack (issue 24, decision 0025): the built server with its
// default intervals pointed at the rig's dockerd and scoped to the stack's label (~40 containers:
// decision 0018), beside node_exporter, netdata and glances in the same window. The watchdog runs
// in dry-run: it watches and decides as it does when on, but never restarts the shared stack's
// containers (other sessions' tests use them). CPU is each process tree's own utime+stime over
// 60 s, taken two minutes after start-up (the steady state); RSS and PSS at the end of the window.
// The caller holds the stack up (bench/run.ts).
import { readFile } from 'node:fs/promises';
import { idleFootprint, startPeers } from './footprint';
import { startServer } from '../tests/helpers/server';
import { rigEnv } from '../tests/helpers/rig';
import { STACK_LABEL } from '../tests/helpers/reference-stack';

const fmt = (n: number, d = 1) => n.toFixed(d).padStart(9);

export async function benchIdleStack(): Promise<boolean> {
	const rig = rigEnv();
	const server = await startServer({
		VMW_SAMPLE_INTERVAL_MS: '5000',
		VMW_LOG_LEVEL: 'warn',
		VMW_DOCKER_HOST: rig.dockerHost,
		VMW_CONTAINER_LABELS: STACK_LABEL,
		VMW_WATCHDOG: 'dry-run',
		VMW_WATCHDOG_ONLY_LABEL: STACK_LABEL
	});
	const { peers, missing } = await startPeers();
	try {
		await new Promise((r) => setTimeout(r, 120_000)); // past start-up and V8's memory reducer
		const load0 = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
		const idle = await idleFootprint(
			{ vmwarden: server.pid, ...Object.fromEntries(peers.map((p) => [p.name, p.pid])) },
			60_000
		);
		const met = idle.vmwarden.cpuPct <= 0.25;
		console.log(`\n idle 60 s watching the reference stack (load average ${load0} at the start)`);
		console.log(' process                        CPU % of a core  RSS MiB  PSS MiB');
		console.log(' ------------------------------ --------------- -------- --------');
		const row = (name: string, i: { cpuPct: number; rssMiB: number; pssMiB: number }, tail = '') =>
			console.log(
				` ${name.padEnd(30)} ${fmt(i.cpuPct, 2).padStart(15)} ${fmt(i.rssMiB).padStart(8)} ${fmt(i.pssMiB).padStart(8)}${tail}`
			);
		row(
			'vmwarden (Docker 5 s, 40 ctrs)',
			idle.vmwarden,
			`   target <= 0.25 %  ${met ? 'ok' : 'MISSED'}`
		);
		for (const p of peers) row(p.name, idle[p.name]);
		for (const m of missing) console.log(` ${m.padEnd(30)} not installed`);
		return met;
	} finally {
		for (const p of peers) await p.stop();
		await server.stop();
	}
}
