// What every subcommand gets: parsed flags, a client, and where to write.
import { createVmwardenClient, type VmwardenClient } from '../lib/client/index';

export interface CliIo {
	out: (line: string) => void;
	err: (line: string) => void;
}

export interface CliContext extends CliIo {
	client: VmwardenClient;
	url: string;
	/** Flags after the subcommand: --name value, --name=value or a bare --flag (true). */
	flags: Record<string, string | true>;
	/** Positional arguments after the subcommand. */
	args: string[];
	/** Aborted on SIGINT/SIGTERM: long-running commands (watch) stop on it. */
	signal: AbortSignal;
}

export interface Command {
	name: string;
	/** One line for `vmwarden help`. */
	summary: string;
	/** Flags this command accepts besides --url and --token: 'bool' (--json) or 'value' (--count 3, --count=3). */
	flags?: Record<string, 'bool' | 'value'>;
	/** Resolves to the process exit code. */
	run(ctx: CliContext): Promise<number>;
}

/** Flags with a value (`valueFlags`) take the next argument unless written --name=value. */
export function parseArgs(
	argv: string[],
	valueFlags: string[] = []
): { flags: Record<string, string | true>; args: string[] } {
	const flags: Record<string, string | true> = {};
	const args: string[] = [];
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--') {
			args.push(...argv.slice(i + 1));
			break;
		}
		if (a.startsWith('--')) {
			const eq = a.indexOf('=');
			if (eq > 2) flags[a.slice(2, eq)] = a.slice(eq + 1);
			else if (valueFlags.includes(a.slice(2)) && i + 1 < argv.length)
				flags[a.slice(2)] = argv[++i];
			else flags[a.slice(2)] = true;
		} else args.push(a);
	}
	return { flags, args };
}

export function clientFor({ url, token }: { url: string; token: string | undefined }) {
	return createVmwardenClient({ url, token });
}
