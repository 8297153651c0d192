// `--all-hosts` (issue 15): a read command run on every host of a hub at once through `hub.all`,
// printed as one block per host; the exit code is the worst host's.
import type { AllEntry } from '../../lib/server/hub/all';
import type { CliContext } from '../context';

/** Exit codes as scripts/vm-health-check.sh; a host that did not answer is UNKNOWN. */
export const EXIT_UNKNOWN = 3;

/**
 * The worst of several hosts' exit codes, as monitoring tools rank states: CRIT (2) over
 * UNKNOWN (3) over WARN (1) over OK (0). No code at all is OK.
 */
export function worstExit(codes: number[]): number {
	const rank = (c: number) => ({ 0: 0, 1: 1, 3: 2, 2: 3 })[c] ?? 2;
	return codes.reduce((worst, c) => (rank(c) > rank(worst) ? c : worst), 0);
}

const time = (ms: number | null) => (ms === null ? 'never' : new Date(ms).toISOString());

/** The header line of one host's block. */
export function hostHeader(e: Pick<AllEntry, 'hostId' | 'name' | 'kind'>): string {
	return `== ${e.name} (${e.hostId}, ${e.kind}) ==`;
}

/** An unavailable host's block: the reason and how old its last good answer is (that answer after, when shown). */
export function unavailableLines(e: Extract<AllEntry, { state: 'unavailable' }>): string[] {
	return [`  UNAVAILABLE: ${e.reason}`, `  last good answer: ${time(e.lastGoodAt)}`];
}

/**
 * Runs `procedure` on every host (`hub.all`), prints `--json` the entries, else per host its
 * header and `format(data)` (or why it is unavailable, then its last good data when there is
 * some); returns the worst of `exitOf(data)` (unavailable = 3).
 */
export async function runOnAllHosts<T>(
	ctx: Pick<CliContext, 'client' | 'flags' | 'out'>,
	procedure: string,
	input: Record<string, unknown> | undefined,
	format: (data: T) => string,
	exitOf: (data: T) => number
): Promise<number> {
	const entries = (await ctx.client.hub.all.query({ procedure, input })) as AllEntry<T>[];
	if (ctx.flags.json) ctx.out(JSON.stringify(entries));
	const codes: number[] = [];
	for (const e of entries) {
		if (e.state === 'ok') codes.push(exitOf(e.data));
		else codes.push(EXIT_UNKNOWN);
		if (ctx.flags.json) continue;
		const lines = [hostHeader(e)];
		if (e.state === 'ok') lines.push(format(e.data));
		else {
			lines.push(...unavailableLines(e));
			if (e.lastGood !== null) lines.push(format(e.lastGood));
		}
		ctx.out(lines.join('\n'));
	}
	return worstExit(codes);
}
