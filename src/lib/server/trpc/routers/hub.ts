// hub router (issue 15, decision 0013): thin — `hub.summary` is what every instance says about
// its own VM (a hub forwards it to a registry host when given that host's id); `hub.overview`
// and `hub.live` are the hub's all-hosts view, answered from memory (never forwarded).
import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { router, viewerProcedure } from '../init';
import { hostInput, resolveHostId } from '../host';
import type { OverviewRow } from '../../hub/types';
import { compareRows } from '../../hub/overview';

export const hubRouter = router({
	/** This VM at a glance: score, status per dimension, unhealthy containers, disk projection, last cleanup. */
	summary: viewerProcedure.input(hostInput.optional()).query(async ({ ctx, input }) => {
		resolveHostId(ctx, input?.hostId);
		try {
			return await ctx.services.hub.localSummary();
		} catch (err) {
			throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'could not build the summary', cause: err });
		}
	}),

	/** One row per host (this one and every registry host), worst first, from memory. */
	overview: viewerProcedure
		.meta({ hub: 'local' })
		.input(z.object({}).strict().optional())
		.query(async ({ ctx }): Promise<OverviewRow[]> => {
			try {
				return await ctx.services.hub.overview.rows();
			} catch (err) {
				throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'could not build the overview', cause: err });
			}
		}),

	/**
	 * The overview, pushed again whenever a host's row was refreshed (SSE): all rows, worst first.
	 * Rows refreshing close together coalesce into one push; a slow client gets the latest rows.
	 */
	live: viewerProcedure
		.meta({ hub: 'local' })
		.input(z.object({}).strict().optional())
		.subscription(async function* ({ ctx, signal }) {
			const { overview } = ctx.services.hub;
			const rows = new Map<string, OverviewRow>();
			let changed = false;
			let wake: (() => void) | null = null;
			const off = overview.subscribe((row) => {
				rows.set(row.hostId, row);
				changed = true;
				wake?.();
			});
			const onAbort = () => wake?.();
			signal?.addEventListener('abort', onAbort, { once: true });
			try {
				for (const r of await overview.rows()) if (!rows.has(r.hostId)) rows.set(r.hostId, r);
				changed = false;
				yield [...rows.values()].sort(compareRows);
				while (!signal?.aborted) {
					if (changed) {
						changed = false;
						// the host list may have changed (a host removed): keep only the current hosts
						const current = new Set((await overview.rows()).map((r) => r.hostId));
						for (const id of rows.keys()) if (!current.has(id)) rows.delete(id);
						yield [...rows.values()].sort(compareRows);
						continue;
					}
					await new Promise<void>((resolve) => (wake = resolve));
					wake = null;
				}
			} finally {
				off();
				signal?.removeEventListener('abort', onAbort);
			}
		})
});
