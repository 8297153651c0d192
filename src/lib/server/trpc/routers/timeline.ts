// timeline router (issue 25 §1): thin — validate, resolve the host, read the timeline.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { hostViewerProcedure, router } from '../init';
import { hostInput } from '../host';
import { countTimeline, decodeCursor, encodeCursor, listTimeline } from '../../timeline/timeline';
import { TIMELINE_KINDS, TIMELINE_SEVERITIES, type TimelineEntry } from '$lib/timeline';

const DAY_MS = 86_400_000;
/** the widest range one call reads: the container and host history are kept 7 days, the rest longer */
const MAX_RANGE_MS = 31 * DAY_MS;
/** how often timeline.live looks for new entries (the sources have no common change signal) */
const LIVE_POLL_MS = 5_000;

const filters = {
	kinds: z.array(z.enum(TIMELINE_KINDS)).max(TIMELINE_KINDS.length).optional(),
	container: z.string().min(1).max(128).optional(),
	stack: z.string().min(1).max(128).optional(),
	severities: z.array(z.enum(TIMELINE_SEVERITIES)).max(TIMELINE_SEVERITIES.length).optional()
};

const range = {
	from: z.number().int().nonnegative().optional(),
	to: z.number().int().nonnegative().optional()
};
type RangeInput = { from?: number; to?: number };
const ordered = [
	(i: RangeInput) => i.from === undefined || i.to === undefined || i.from <= i.to,
	'from must not be after to'
] as const;
const bounded = [
	(i: RangeInput) => (i.to ?? Date.now()) - (i.from ?? 0) <= MAX_RANGE_MS || i.from === undefined,
	'the range is at most 31 days'
] as const;
/** `to` defaults to now, `from` to a day before `to` */
function rangeOf(input: RangeInput | undefined): { fromMs: number; toMs: number } {
	const toMs = input?.to ?? Date.now();
	return { fromMs: input?.from ?? toMs - DAY_MS, toMs };
}

function internal(err: unknown): never {
	throw new TRPCError({
		code: 'INTERNAL_SERVER_ERROR',
		message: 'could not read the timeline',
		cause: err
	});
}

const after = (e: TimelineEntry, c: { ts: number; source: string; id: number }) =>
	e.ts > c.ts || (e.ts === c.ts && (e.source > c.source || (e.source === c.source && e.id > c.id)));

export const timelineRouter = router({
	/** One page, newest first: `from`/`to` epoch ms (default the last 24 h), then `nextCursor` for the next. */
	list: hostViewerProcedure
		.input(
			hostInput
				.extend({
					...range,
					...filters,
					cursor: z
						.string()
						.max(80)
						.refine((c) => {
							try {
								return !!decodeCursor(c);
							} catch {
								return false;
							}
						}, 'not a timeline cursor')
						.optional(),
					limit: z.number().int().min(1).max(500).default(100)
				})
				.strict()
				.refine(...ordered)
				.refine(...bounded)
				.optional()
		)
		.query(async ({ ctx, input }) => {
			const { fromMs, toMs } = rangeOf(input);
			const page = await listTimeline(ctx.services.db, {
				...input,
				hostId: ctx.host.id,
				fromMs,
				toMs
			}).catch(internal);
			return { fromMs, toMs, ...page };
		}),

	/** Entries per kind in `buckets` equal slices of the range (the /timeline strip chart), with the list's filters. */
	counts: hostViewerProcedure
		.input(
			hostInput
				.extend({ ...range, ...filters, buckets: z.number().int().min(1).max(500).default(100) })
				.strict()
				.refine(...ordered)
				.refine(...bounded)
				.optional()
		)
		.query(async ({ ctx, input }) => {
			const { fromMs, toMs } = rangeOf(input);
			return countTimeline(ctx.services.db, {
				...input,
				hostId: ctx.host.id,
				fromMs,
				toMs
			}).catch(internal);
		}),

	/** New entries as they are recorded (checked every 5 s), oldest first in each batch. */
	live: hostViewerProcedure
		.input(hostInput.extend(filters).strict().optional())
		.subscription(async function* ({ ctx, input, signal }) {
			const hostId = ctx.host.id;
			const { hostId: _h, ...f } = input ?? {};
			let mark = { ts: Date.now(), source: '', id: 0 };
			while (!signal?.aborted) {
				// node's timer removes its abort listener when it fires (one added per wait would pile up)
				await sleep(LIVE_POLL_MS, undefined, { signal }).catch(() => undefined);
				if (signal?.aborted) break;
				const page = await listTimeline(ctx.services.db, {
					...f,
					hostId,
					fromMs: mark.ts,
					toMs: Date.now(),
					limit: 500
				}).catch(internal);
				const fresh = page.items.filter((e) => after(e, mark)).reverse();
				if (!fresh.length) continue;
				mark = decodeCursor(encodeCursor(fresh.at(-1)!));
				yield fresh;
			}
		})
});
