// Every query takes an optional `hostId` (DESIGN: it grows to several VMs): this VM's own id
// (config `VMW_HOST_ID`), or in hub mode a registry host's (forwarded by trpc/init.ts, or
// answered by the hub itself for `meta: { hub: 'local' }` procedures).
import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import type { Context } from './init';

export const hostIdSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, 'a host id is letters, digits, dot, dash or underscore').optional();

/** `{ hostId? }`: the input of a query that takes nothing else; extend it for more fields. */
export const hostInput = z.object({ hostId: hostIdSchema }).strict();

/** The host a call is for; NOT_FOUND for any host this instance does not serve. */
export function resolveHostId(ctx: Pick<Context, 'services'>, hostId: string | undefined): string {
	const own = ctx.services.config.hostId;
	if (hostId === undefined || hostId === own) return own;
	// a registry host reaches a procedure here only when the hub answers it itself (meta hub: 'local')
	if (ctx.services.hub?.isRegistered(hostId)) return hostId;
	throw new TRPCError({ code: 'NOT_FOUND', message: `unknown host "${hostId}": this instance serves "${own}"` });
}
