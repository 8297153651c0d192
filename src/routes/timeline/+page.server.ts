import { TRPCError } from '@trpc/server';
import type { PageServerLoad } from './$types';
import { hostCallerFor } from '$lib/server/host-choice';
import {
	TIMELINE_KINDS,
	TIMELINE_SEVERITIES,
	type TimelineCounts,
	type TimelineEntry,
	type TimelineKind,
	type TimelineSeverity
} from '$lib/timeline';

const PRESETS = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 } as const;
type Preset = keyof typeof PRESETS;
/** the strip chart's slices of the range: a dot (7 of the plot's 730 units) per slice and kind */
const STRIP_SLICES = 100;

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
	let strip: Pick<TimelineCounts, 'bucketMs' | 'cells'> = { bucketMs: 1, cells: [] };
	let error: string | null = null;
	let stripError: string | null = null;
	const invalid = (err: unknown) => err instanceof TRPCError && err.code === 'BAD_REQUEST';
	// the strip is counted in SQL, per kind and slice (a week of a busy VM is ~25,000 entries); the
	// list stands without it (a forwarded host on an older version may not answer timeline.counts)
	const [listed, counted] = await Promise.allSettled([
		caller.timeline.list({ ...input, cursor: pick('cursor'), limit: 100 }),
		caller.timeline.counts({ ...input, buckets: STRIP_SLICES })
	]);
	if (listed.status === 'fulfilled') page = listed.value;
	else if (invalid(listed.reason))
		error = 'These filters are not valid (a range is at most 31 days): use the form, or clear it.';
	else throw listed.reason;
	if (counted.status === 'fulfilled') strip = counted.value;
	else if (!invalid(counted.reason))
		stripError = `The strip could not be counted: ${counted.reason instanceof Error ? counted.reason.message : String(counted.reason)}`;
	return {
		page,
		strip,
		stripError,
		range,
		preset,
		filters,
		paged: !!pick('cursor'),
		error
	};
};
