import { TRPCError } from '@trpc/server';
import type { PageServerLoad } from './$types';
import { hostCallerFor } from '$lib/server/host-choice';
import {
	TIMELINE_KINDS,
	TIMELINE_SEVERITIES,
	type TimelineEntry,
	type TimelineKind,
	type TimelineSeverity
} from '$lib/timeline';

const PRESETS = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 } as const;
type Preset = keyof typeof PRESETS;
/** the strip chart reads at most this many entries of the range (one page) */
const STRIP_MAX = 500;

export const load: PageServerLoad = async (event) => {
	const caller = hostCallerFor(event);
	const q = event.url.searchParams;
	const pick = (k: string) => q.get(k)?.trim() || undefined;
	const list = <T extends string>(k: string, allowed: readonly T[]) =>
		q
			.getAll(k)
			.flatMap((v) => v.split(','))
			.filter((v): v is T => (allowed as readonly string[]).includes(v));
	const now = Date.now();
	const from = Number(q.get('from'));
	const to = Number(q.get('to'));
	const custom = Number.isInteger(from) && Number.isInteger(to) && from > 0 && to > from;
	const preset: Preset | null = custom
		? null
		: (pick('range') as Preset) in PRESETS
			? (pick('range') as Preset)
			: '24h';
	const range = custom ? { from, to } : { from: now - PRESETS[preset!], to: now };
	const filters = {
		kinds: list<TimelineKind>('kind', TIMELINE_KINDS),
		severities: list<TimelineSeverity>('severity', TIMELINE_SEVERITIES),
		container: pick('container'),
		stack: pick('stack')
	};
	const input = {
		...range,
		kinds: filters.kinds.length ? filters.kinds : undefined,
		severities: filters.severities.length ? filters.severities : undefined,
		container: filters.container,
		stack: filters.stack
	};
	let page: { items: TimelineEntry[]; nextCursor: string | null } = { items: [], nextCursor: null };
	let strip: TimelineEntry[] = [];
	let error: string | null = null;
	try {
		[page, strip] = await Promise.all([
			caller.timeline.list({ ...input, cursor: pick('cursor'), limit: 100 }),
			caller.timeline.list({ ...input, limit: STRIP_MAX }).then((p) => p.items)
		]);
	} catch (err) {
		if (err instanceof TRPCError && err.code === 'BAD_REQUEST')
			error =
				'These filters are not valid (a range is at most 31 days): use the form, or clear it.';
		else throw err;
	}
	return {
		page,
		strip,
		stripCapped: strip.length === STRIP_MAX,
		range,
		preset,
		filters,
		paged: !!pick('cursor'),
		error
	};
};
