// `vmwarden timeline --since 2h [--kind alert,oom] [--container NAME] [--limit N] [--json]`:
// what changed on the host, newest first (timeline.list, every page up to --limit).
import { TIMELINE_KINDS, type TimelineEntry, type TimelineKind } from '../../lib/timeline';
import type { Command } from '../context';

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "90m", "2h", "7d" → ms; null for anything else (at most 31 days). */
export function parseSince(text: string): number | null {
	const m = /^(\d{1,4})([mhd])$/.exec(text);
	if (!m) return null;
	const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
	return ms > 0 && ms <= 31 * UNIT_MS.d ? ms : null;
}

export function formatEntry(e: TimelineEntry): string {
	const when = new Date(e.ts).toISOString().slice(0, 16).replace('T', ' ');
	return `  ${when}Z  ${e.severity.padEnd(4)}  ${e.kind.padEnd(8)}  ${e.title}${e.detail ? `  — ${e.detail}` : ''}`;
}

export const timeline: Command = {
	name: 'timeline',
	summary:
		'what changed, newest first: --since 2h (m/h/d, default 24h), --kind a,b, --container NAME, --limit N (default 200); --json',
	flags: { json: 'bool', since: 'value', kind: 'value', container: 'value', limit: 'value' },
	async run({ client, flags, out, err }) {
		const sinceMs = typeof flags.since === 'string' ? parseSince(flags.since) : UNIT_MS.d;
		if (sinceMs === null) {
			err('vmwarden timeline: --since is a number and m, h or d, e.g. 90m, 2h, 7d (at most 31d)');
			return 64;
		}
		const kinds = typeof flags.kind === 'string' ? flags.kind.split(',') : undefined;
		const bad = kinds?.filter((k) => !(TIMELINE_KINDS as readonly string[]).includes(k)) ?? [];
		if (bad.length) {
			err(`vmwarden timeline: unknown kind ${bad.join(', ')} (${TIMELINE_KINDS.join(', ')})`);
			return 64;
		}
		const limit = typeof flags.limit === 'string' ? Number(flags.limit) : 200;
		if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
			err('vmwarden timeline: --limit is 1–10000');
			return 64;
		}
		const to = Date.now();
		const base = {
			from: to - sinceMs,
			to,
			kinds: kinds as TimelineKind[] | undefined,
			container: typeof flags.container === 'string' ? flags.container : undefined
		};
		const items: TimelineEntry[] = [];
		let cursor: string | undefined;
		do {
			const page = await client.timeline.list.query({
				...base,
				cursor,
				limit: Math.min(500, limit - items.length)
			});
			items.push(...page.items);
			cursor = page.nextCursor ?? undefined;
		} while (cursor && items.length < limit);
		if (flags.json) out(JSON.stringify({ from: base.from, to, items }));
		else
			out(
				items.length
					? items.map(formatEntry).join('\n')
					: `  nothing recorded since ${new Date(base.from).toISOString()}`
			);
		return 0;
	}
};
