import type { HealthSnapshot } from '../../lib/health';
import type { Command } from '../context';
import { runOnAllHosts } from './all-hosts';

/** Exit code by status, as scripts/vm-health-check.sh: 0 OK, 1 WARN, 2 CRIT, 3 UNKNOWN. */
export function exitCodeFor(status: HealthSnapshot['status']): number {
	return { OK: 0, WARN: 1, CRIT: 2, UNKNOWN: 3 }[status];
}

/** One human block: the status, each dimension, then the reasons. */
export function formatSnapshot(s: HealthSnapshot): string {
	const pct = (v: number | null) => (v === null ? '—' : `${v.toFixed(1)} %`);
	const gib = (b: number) => `${(b / 1024 ** 3).toFixed(2)} GiB`;
	const lines = [
		`${s.hostId} ${s.status}${s.ts ? ` at ${s.ts}` : ''}${s.stale ? ` (stale: ${s.stale.error})` : ''}`
	];
	const row = (name: string, status: string, value: string) =>
		lines.push(`  ${name.padEnd(12)} ${status.padEnd(7)} ${value}`);
	row('steal', s.steal.status, s.steal.ok ? pct(s.steal.stealPct) : s.steal.error);
	row(
		'load',
		s.load.status,
		s.load.ok ? `${s.load.load1.toFixed(2)} on ${s.load.cpuCount} CPU` : s.load.error
	);
	row(
		'memory',
		s.memory.status,
		s.memory.ok ? `${gib(s.memory.memAvailableBytes)} available` : s.memory.error
	);
	row('swap', s.swap.status, s.swap.ok ? `${gib(s.swap.swapUsedBytes)} used` : s.swap.error);
	for (const d of s.disks)
		row(`disk ${d.mount}`, d.status, d.ok ? `${pct(d.usedPct)} used` : d.error);
	for (const r of s.reasons) lines.push(`  - ${r}`);
	return lines.join('\n');
}

export const health: Command = {
	name: 'health',
	summary:
		'the host health snapshot; exit 0 OK, 1 WARN, 2 CRIT, 3 UNKNOWN (--json prints the snapshot as JSON; --all-hosts: every host of a hub, the worst exit)',
	flags: { json: 'bool', 'all-hosts': 'bool' },
	async run({ client, flags, out }) {
		if (flags['all-hosts'])
			return runOnAllHosts<HealthSnapshot>(
				{ client, flags, out },
				'health.snapshot',
				undefined,
				formatSnapshot,
				(s) => exitCodeFor(s.status)
			);
		const snap = await client.health.snapshot.query();
		out(flags.json ? JSON.stringify(snap) : formatSnapshot(snap));
		return exitCodeFor(snap.status);
	}
};
