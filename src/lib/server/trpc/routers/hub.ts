// hub router (issue 15, decision 0013): thin — `hub.summary` is what every instance says about
// its own VM (a hub forwards it to a registry host when given that host's id, and answers it for
// a bare Docker host); `hub.overview`, `hub.live` and `hub.all` are the hub's all-hosts view (not
// per host, never forwarded). router.ts builds this router with the app router for hub.all:
// this file does not import router.ts.
import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { live } from '../live';
import type { AnyRouter } from '@trpc/server';
import { hostViewerProcedure, isPerHost, router, viewerProcedure } from '../init';
import { hostInput } from '../host';
import type { OverviewRow } from '../../hub/types';
import { compareRows } from '../../hub/overview';
import {
	builtOn,
	checkInput,
	checkProcedure,
	lastGoodKey,
	runAll,
	validateLocally,
	type AllEntry,
	type AllTarget
} from '../../hub/all';
import { createCallerFactory } from '../init';
import { createLogger } from '../../log';
import { reasonOf } from '../../availability';

const log = createLogger('hub');

/** hub.all's procedure name: dotted identifiers, bounded (checked against the router at run time). */
const procedurePath = z
	.string()
	.max(128)
	.regex(/^[a-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)+$/, 'a procedure path such as health.snapshot');

/** hub.all runs viewer queries only: those built on viewerProcedure. */
const isViewerProcedure = builtOn(viewerProcedure);

/** The procedure at `path` of a caller (a proxy: any path answers; checkProcedure said it exists). */
function callAt(
	caller: object,
	path: string
): (input: unknown, opts: { signal: AbortSignal }) => Promise<unknown> {
	let fn: unknown = caller;
	for (const k of path.split('.')) fn = (fn as Record<string, unknown>)[k];
	return fn as (input: unknown, opts: { signal: AbortSignal }) => Promise<unknown>;
}

/** The hub router; `root` is the app router hub.all runs procedures of (router.ts passes it). */
export const createHubRouter = (root: () => AnyRouter) =>
	router({
		/** This VM at a glance: score, status per dimension, unhealthy containers, disk projection, last cleanup. */
		summary: hostViewerProcedure
			.meta({ dockerHost: true })
			.input(hostInput.optional())
			.query(async ({ ctx, signal }) => {
				try {
					return await ctx.host.summary(signal);
				} catch (err) {
					throw new TRPCError({
						code: 'INTERNAL_SERVER_ERROR',
						message: 'could not build the summary',
						cause: err
					});
				}
			}),

		/** One row per host (this one and every registry host), worst first, from memory. */
		overview: viewerProcedure
			.input(z.object({}).strict().optional())
			.query(async ({ ctx }): Promise<OverviewRow[]> => {
				try {
					return await ctx.services.hub.overview.rows();
				} catch (err) {
					throw new TRPCError({
						code: 'INTERNAL_SERVER_ERROR',
						message: 'could not build the overview',
						cause: err
					});
				}
			}),

		/**
		 * The overview, pushed again whenever a host's row was refreshed (SSE): all rows, worst first.
		 * Rows refreshing close together coalesce into one push; a slow client gets the latest rows.
		 */
		live: viewerProcedure.input(z.object({}).strict().optional()).subscription(async function* ({
			ctx,
			signal
		}) {
			const { overview } = ctx.services.hub;
			const rows = new Map<string, OverviewRow>();
			let first = true; // rows refreshed while the first list is read are in it: no second push for them
			const subscribe = (onChange: () => void) =>
				overview.subscribe((row) => {
					rows.set(row.hostId, row);
					if (!first) onChange();
				});
			const current = async () => {
				if (first) {
					for (const r of await overview.rows()) if (!rows.has(r.hostId)) rows.set(r.hostId, r);
					first = false;
				} else {
					// the host list may have changed (a host removed): keep only the current hosts
					const hostIds = new Set((await overview.rows()).map((r) => r.hostId));
					for (const id of rows.keys()) if (!hostIds.has(id)) rows.delete(id);
				}
				return [...rows.values()].sort(compareRows);
			};
			yield* live({ subscribe, current }, signal);
		}),

		/**
		 * One viewer query on every host at once (issue 15 item 2): this host first, then the registry
		 * hosts. Each runs as a direct call with its hostId would (role checks, forwarding, bare Docker
		 * hosts' containers), bounded by its host's timeout; a host that fails gives an `unavailable`
		 * entry with the reason and its last good answer. An input the procedure refuses is one BAD_REQUEST.
		 */
		all: viewerProcedure
			.input(z.object({ procedure: procedurePath, input: z.unknown().optional() }).strict())
			.query(async ({ ctx, input, signal }): Promise<AllEntry[]> => {
				const appRouter = root();
				const path = input.procedure;
				// no public tRPC 11 API lists or looks up a router's procedures: _def.procedures (typed in the exported TRPCRouterDef)
				const proc = checkProcedure(appRouter._def.procedures as Record<string, unknown>, path, {
					isPerHost: (p) => isPerHost(p) !== null,
					isViewer: isViewerProcedure
				});
				const checked = checkInput(input.input);
				await validateLocally(proc, path, checked.input);

				const { hub } = ctx.services;
				const caller = createCallerFactory(appRouter)(ctx);
				const run = callAt(caller, path);
				const localId = ctx.services.config.hostId;
				const targets: AllTarget[] = [
					{
						hostId: localId,
						name: hub.local.name,
						kind: 'local',
						timeoutMs: hub.localTimeoutMs,
						call: (s) => run(checked.input, { signal: s })
					}
				];
				let hosts: Awaited<ReturnType<typeof hub.hosts>>;
				try {
					hosts = await hub.hosts();
				} catch (err) {
					throw new TRPCError({
						code: 'INTERNAL_SERVER_ERROR',
						message: 'could not read the hosts registry',
						cause: err
					});
				}
				for (const h of hosts) {
					if (h.id === localId) continue;
					targets.push({
						hostId: h.id,
						name: h.name,
						kind: h.kind,
						timeoutMs: h.timeoutMs,
						call: (s) => run({ ...checked.input, hostId: h.id }, { signal: s })
					});
				}
				const role = ctx.principal?.role ?? 'none';
				const onError = (hostId: string, err: unknown) => {
					// what the entry's reason does not say (an unexpected error's detail) goes to the server log
					if (!(err instanceof TRPCError) || err.code === 'INTERNAL_SERVER_ERROR')
						log.warn(`hub.all ${path} on ${hostId} failed`, {
							host: hostId,
							procedure: path,
							error: reasonOf(err)
						});
				};
				const { entries, errors } = await runAll(targets, {
					keyOf: (id) => lastGoodKey(id, role, path, checked.key),
					lastGood: hub.lastGood,
					signal,
					onError
				});
				// the same input on the same code: this host refusing it means every host would
				const localErr = errors.get(localId);
				if (localErr instanceof TRPCError && localErr.code === 'BAD_REQUEST') throw localErr;
				return entries;
			})
	});
