// `vmwarden containers [list|unhealthy]`: the containers of this host (or, --all-hosts, of every
// host of a hub), as text or --json.
import type { Availability } from '../../lib/server/availability';
import type { ContainerRow, UnhealthyContainer } from '../../lib/server/docker/containers';
import type { Command } from '../context';
import { EXIT_UNKNOWN, runOnAllHosts } from './all-hosts';

type Rows = Availability<ContainerRow[]>;
type Unhealthy = Availability<UnhealthyContainer[]>;

const dockerDown = (a: Extract<Availability<unknown>, { state: 'unavailable' }>) =>
	`  Docker unavailable: ${a.reason}${a.lastGoodAt ? ` (last good data ${new Date(a.lastGoodAt).toISOString()})` : ''}`;

export function formatRows(a: Rows): string {
	if (a.state === 'unavailable') return dockerDown(a);
	if (!a.data.length) return '  no containers';
	const width = Math.max(...a.data.map((r) => r.name.length));
	return a.data
		.map((r) => `  ${r.name.padEnd(width)}  ${r.condition.padEnd(9)}  ${r.image}`)
		.join('\n');
}

export function formatUnhealthy(a: Unhealthy): string {
	if (a.state === 'unavailable') return dockerDown(a);
	if (!a.data.length) return '  no unhealthy container';
	return a.data
		.map(
			(c) =>
				`  ${c.name} unhealthy${c.unhealthySince ? ` since ${new Date(c.unhealthySince).toISOString()}` : ''} (${c.failingStreak} failed checks, ${c.restartCount} restarts)`
		)
		.join('\n');
}

/** list: 0, or 3 when Docker is unavailable. unhealthy: 0 none, 2 (CRIT) some, 3 Docker unavailable. */
export const listExit = (a: Rows) => (a.state === 'ok' ? 0 : EXIT_UNKNOWN);
export const unhealthyExit = (a: Unhealthy) =>
	a.state !== 'ok' ? EXIT_UNKNOWN : a.data.length ? 2 : 0;

export const containers: Command = {
	name: 'containers',
	summary:
		'containers: `list` (default; --filter all|unhealthy|noMemoryLimit, --stack NAME) or `unhealthy` (exit 2 when any); --json, --all-hosts',
	flags: { json: 'bool', 'all-hosts': 'bool', filter: 'value', stack: 'value' },
	async run({ client, flags, args, out, err }) {
		const sub = args[0] ?? 'list';
		if (sub !== 'list' && sub !== 'unhealthy') {
			err(`vmwarden containers: unknown subcommand "${sub}" (list, unhealthy)`);
			return 64;
		}
		if (sub === 'unhealthy') {
			if (flags['all-hosts'])
				return runOnAllHosts<Unhealthy>(
					{ client, flags, out },
					'containers.unhealthy',
					undefined,
					formatUnhealthy,
					unhealthyExit
				);
			const a = await client.containers.unhealthy.query();
			out(flags.json ? JSON.stringify(a) : formatUnhealthy(a));
			return unhealthyExit(a);
		}
		const input: { filter?: 'all' | 'unhealthy' | 'noMemoryLimit'; stack?: string } = {};
		if (typeof flags.filter === 'string') {
			if (!['all', 'unhealthy', 'noMemoryLimit'].includes(flags.filter)) {
				err(`vmwarden containers: --filter is all, unhealthy or noMemoryLimit`);
				return 64;
			}
			input.filter = flags.filter as typeof input.filter;
		}
		if (typeof flags.stack === 'string') input.stack = flags.stack;
		if (flags['all-hosts'])
			return runOnAllHosts<Rows>(
				{ client, flags, out },
				'containers.list',
				input,
				formatRows,
				listExit
			);
		const a = await client.containers.list.query(input);
		out(flags.json ? JSON.stringify(a) : formatRows(a));
		return listExit(a);
	}
};
