#!/usr/bin/env node
// `vmwarden <command>`: the reference "other tool", built on vmwarden/client.
// VMW_URL and VMW_TOKEN (or --url, --token) say which server and which token.
import { TRPCClientError } from '@trpc/client';
import { commands } from './commands/index';
import { clientFor, parseArgs, type CliIo } from './context';

/**
 * Exit codes besides each command's own: 3 when the server could not be reached or refused
 * (the health is then UNKNOWN, as vm-health-check.sh exits 3 for an unreadable figure), 64 bad usage.
 */
export const EXIT_UNREACHABLE = 3;
export const EXIT_USAGE = 64;

function usage(): string {
	const width = Math.max(...commands.map((c) => c.name.length));
	return [
		'usage: vmwarden <command> [--url URL] [--token TOKEN] [flags]',
		'  URL and TOKEN default to $VMW_URL (else http://127.0.0.1:4004) and $VMW_TOKEN',
		'',
		'commands:',
		...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`)
	].join('\n');
}

export async function main(
	argv: string[],
	env: Record<string, string | undefined>,
	io: CliIo,
	signal: AbortSignal
): Promise<number> {
	const [name, ...rest] = argv;
	if (!name || name === 'help' || name === '--help' || name === '-h') {
		io.out(usage());
		return name ? 0 : EXIT_USAGE;
	}
	const command = commands.find((c) => c.name === name);
	if (!command) {
		io.err(`vmwarden: unknown command "${name}"\n${usage()}`);
		return EXIT_USAGE;
	}
	const accepted: Record<string, 'bool' | 'value'> = {
		url: 'value',
		token: 'value',
		...command.flags
	};
	const { flags, args } = parseArgs(
		rest,
		Object.keys(accepted).filter((f) => accepted[f] === 'value')
	);
	const unknown = Object.keys(flags).filter((f) => !(f in accepted));
	if (unknown.length) {
		io.err(`vmwarden ${name}: unknown flag ${unknown.map((f) => `--${f}`).join(', ')}`);
		return EXIT_USAGE;
	}
	const url = typeof flags.url === 'string' ? flags.url : env.VMW_URL || 'http://127.0.0.1:4004';
	const token = typeof flags.token === 'string' ? flags.token : env.VMW_TOKEN || undefined;
	try {
		new URL(url);
	} catch {
		io.err(`vmwarden: not a URL: ${url}`);
		return EXIT_USAGE;
	}
	try {
		return await command.run({
			...io,
			client: clientFor({ url, token }),
			url,
			flags,
			args,
			signal
		});
	} catch (err) {
		const code =
			err instanceof TRPCClientError
				? (err.data as { code?: string } | undefined)?.code
				: undefined;
		const hint = code === 'UNAUTHORIZED' ? ' (set VMW_TOKEN or --token to the API token)' : '';
		io.err(`vmwarden ${name}: ${url}: ${(err as Error).message}${hint}`);
		return EXIT_UNREACHABLE;
	}
}

const isMain =
	process.argv[1] &&
	(await import('node:fs')).realpathSync(process.argv[1]) ===
		(await import('node:url')).fileURLToPath(import.meta.url);
if (isMain) {
	const ac = new AbortController();
	process.once('SIGINT', () => ac.abort());
	process.once('SIGTERM', () => ac.abort());
	const code = await main(
		process.argv.slice(2),
		process.env,
		{ out: (l) => console.log(l), err: (l) => console.error(l) },
		ac.signal
	);
	process.exit(code);
}
