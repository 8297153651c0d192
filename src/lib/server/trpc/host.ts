// Every per-host procedure (built on a host builder of init.ts) takes an optional `hostId`: this
// VM's own id (config `VMW_HOST_ID`), or in hub mode a registry host's. The builder's middleware
// resolves it once, here, into `ctx.host` (hub/host-handle.ts); no procedure reads `hostId` itself.
import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import type { Services } from '../services';
import type { HostRecord } from '../hosts/types';
import type { RunHost } from '../hub/host-handle';

/** A host id: letters, digits, dot, dash or underscore (hub/service.ts and host-context.ts test the same rule). */
export const hostIdString = z
	.string()
	.min(1)
	.max(64)
	.regex(/^[A-Za-z0-9._-]+$/, 'a host id is letters, digits, dot, dash or underscore');

export const hostIdSchema = hostIdString.optional();

/** `{ hostId? }`: the input of a query that takes nothing else; extend it for more fields. */
export const hostInput = z.object({ hostId: hostIdSchema }).strict();

/** This instance as a host handle: its own Docker, and its own summary. */
export function localHost(services: Services): RunHost {
	return {
		kind: 'local',
		id: services.config.hostId,
		containers: {
			docker: services.docker,
			containerStats: services.containerStats,
			containerHistory: services.containerHistory
		},
		summary: () => services.hub.localSummary()
	};
}

/** The host a call is for: this instance, or a registry host's record. */
export type ResolvedHost = { kind: 'local' } | { kind: 'remote'; record: HostRecord };

/**
 * The host `hostId` (the call's raw input) names: this instance when absent or its own id, else
 * a registry host; NOT_FOUND for any other. A malformed id is BAD_REQUEST, never looked up.
 */
export async function resolveHost(services: Services, hostId: unknown): Promise<ResolvedHost> {
	const own = services.config.hostId;
	if (hostId === undefined || hostId === own) return { kind: 'local' };
	const parsed = hostIdString.safeParse(hostId);
	if (!parsed.success)
		throw new TRPCError({
			code: 'BAD_REQUEST',
			message: `hostId: ${parsed.error.issues[0]?.message ?? 'not a host id'}`,
			cause: parsed.error
		});
	const record = (await services.hub?.host(parsed.data)) ?? null;
	if (!record)
		throw new TRPCError({
			code: 'NOT_FOUND',
			message: `unknown host "${parsed.data}": this instance serves "${own}"`
		});
	return { kind: 'remote', record };
}
