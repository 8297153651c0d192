import type { HealthSnapshot } from '../../lib/health';
import type { Command } from '../context';

/** One line per sample: time, status, the figures, the first reason. */
export function sampleLine(s: HealthSnapshot): string {
	const pct = (v: number | null | undefined) =>
		v === null || v === undefined ? '—' : `${v.toFixed(1)}%`;
	const parts = [
		s.ts ?? 'no sample',
		s.status,
		`steal ${s.steal.ok ? pct(s.steal.stealPct) : '?'}`,
		`load ${s.load.ok ? s.load.load1.toFixed(2) : '?'}`,
		`mem ${s.memory.ok ? `${(s.memory.memAvailableBytes / 1024 ** 3).toFixed(2)}GiB` : '?'}`,
		`swap ${s.swap.ok ? `${(s.swap.swapUsedBytes / 1024 ** 3).toFixed(2)}GiB` : '?'}`,
		...s.disks.map((d) => `${d.mount} ${d.ok ? pct(d.usedPct) : '?'}`)
	];
	if (s.reasons[0]) parts.push(`— ${s.reasons[0]}`);
	return parts.join('  ');
}

export const watch: Command = {
	name: 'watch',
	summary:
		'follow health.live: one line per sample (--json: one snapshot per line; --count N stops after N); exit 3 if it cannot connect',
	flags: { json: 'bool', count: 'value' },
	run({ client, flags, out, err, signal }) {
		const count = flags.count === undefined ? Infinity : Number(flags.count);
		if (!(count > 0)) {
			err('--count expects a positive number');
			return Promise.resolve(64);
		}
		return new Promise<number>((resolve) => {
			let seen = 0;
			let reported = '';
			const sub = client.health.live.subscribe(undefined, {
				// The link reconnects by itself. Before the first sample a failure ends the command
				// (exit 3, as `health` does for an unreachable server); once following, it is
				// reported on stderr and the link keeps trying.
				onConnectionStateChange(state) {
					if (state.state !== 'connecting' || !state.error) return;
					if (seen === 0) {
						err(`watch: ${state.error.message}`);
						sub.unsubscribe();
						resolve(3);
					} else if (reported !== state.error.message) {
						reported = state.error.message;
						err(`watch: reconnecting: ${state.error.message}`);
					}
				},
				onData(s) {
					reported = '';
					out(flags.json ? JSON.stringify(s) : sampleLine(s));
					if (++seen >= count) {
						sub.unsubscribe();
						resolve(0);
					}
				},
				onError(e) {
					err(`watch: ${e.message}`);
					sub.unsubscribe();
					resolve(3);
				}
			});
			signal.addEventListener('abort', () => {
				sub.unsubscribe();
				resolve(0);
			});
		});
	}
};
