// The hosts registry (issue 15): admin-only list/add/update/remove/test, and every user's
// remembered host for the header's switcher. None is per host (no host builder): the hub answers
// them itself, never forwarded. No answer ever carries a credential (HostView has `has*` flags only), and the
// audit record names which credentials changed, never their values.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { adminProcedure, router, viewerProcedure, type Context } from '../init';
import { hostIdString, hostInput } from '../host';
import { actorOf, recordAction } from '../../audit/actions';
import { HostsError } from '../../hosts/registry';
import { forgetHost, probeHost, type ProbeResult } from '../../hosts/connect';
import {
	hostDraftInput,
	hostIdField,
	hostPatchInput,
	SECRET_KEYS,
	type SecretsInput
} from '../../hosts/validate';
import type { HostRecord } from '../../hosts/types';

/** What the audit row keeps of a host input: everything but credential values. */
function auditable<T extends { secrets?: SecretsInput }>(input: T) {
	const { secrets, ...rest } = input;
	const changed = SECRET_KEYS.filter((k) => secrets?.[k] !== undefined).map(
		(k) => `${k}:${secrets?.[k] === null ? 'cleared' : 'set'}`
	);
	return changed.length ? { ...rest, secrets: changed } : rest;
}

function toTrpc(err: unknown): never {
	if (err instanceof HostsError) throw new TRPCError({ code: err.code, message: err.message });
	throw err;
}

function audited<T>(
	ctx: Context,
	action: string,
	target: string,
	input: unknown,
	run: () => Promise<T>,
	describe: (v: T) => string
) {
	return recordAction(
		ctx.services.db,
		{
			hostId: ctx.services.config.hostId,
			actor: actorOf(ctx.principal),
			address: ctx.clientKey,
			action,
			target,
			input
		},
		run,
		describe
	).catch(toTrpc);
}

/** Probe a record under a throwaway id (its connection is not cached beside the saved host's). */
async function probeOnce(rec: HostRecord): Promise<ProbeResult> {
	const id = `draft:${randomUUID()}`;
	try {
		return await probeHost({ ...rec, id });
	} finally {
		forgetHost(id);
	}
}

const optionalHost = hostInput.optional();

export const hostsRouter = router({
	/** Every registered host (no credentials), this instance's own id, and whether credentials can be stored. */
	list: adminProcedure.input(optionalHost).query(async ({ ctx }) => ({
		localHostId: ctx.services.config.hostId,
		canStoreSecrets: ctx.services.hosts.canStoreSecrets,
		hosts: await ctx.services.hosts.list()
	})),

	add: adminProcedure.input(hostDraftInput).mutation(({ ctx, input }) =>
		audited(
			ctx,
			'hosts.add',
			input.id,
			auditable(input),
			() => ctx.services.hosts.add(input),
			(v) => `added ${v.kind} host ${v.id}`
		)
	),

	/** Fields absent are kept; `secrets`: per key, a string replaces, null clears, absent keeps. */
	update: adminProcedure
		.input(hostPatchInput.extend({ id: hostIdField }).strict())
		.mutation(({ ctx, input }) => {
			const { id, ...patch } = input;
			return audited(
				ctx,
				'hosts.update',
				id,
				auditable(patch),
				() => ctx.services.hosts.update(id, patch),
				() => 'updated'
			);
		}),

	remove: adminProcedure
		.input(z.object({ id: hostIdField }).strict())
		.mutation(async ({ ctx, input }) => {
			const removed = await audited(
				ctx,
				'hosts.remove',
				input.id,
				undefined,
				() => ctx.services.hosts.remove(input.id),
				(r) => (r ? 'removed' : 'no such host')
			);
			if (!removed) throw new TRPCError({ code: 'NOT_FOUND', message: `no host "${input.id}"` });
			return { ok: true as const };
		}),

	/**
	 * "Test connection": a saved host (`{ id }`), a saved host with unsaved edits (`{ id, patch }`),
	 * or a new host before adding it (`{ draft }`). A mutation although it changes nothing: its
	 * input can carry credentials, which must travel in a POST body, never in a URL. Answers
	 * `{ ok, detail }` or `{ ok: false, reason }`; invalid input is BAD_REQUEST as for add.
	 */
	test: adminProcedure
		.input(
			z.union([
				z.object({ id: hostIdField }).strict(),
				z.object({ id: hostIdField, patch: hostPatchInput }).strict(),
				z.object({ draft: hostDraftInput }).strict()
			])
		)
		.mutation(({ ctx, input }) => {
			const target = 'draft' in input ? input.draft.id : input.id;
			const audit =
				'draft' in input
					? { draft: auditable(input.draft) }
					: 'patch' in input
						? { patch: auditable(input.patch) }
						: undefined;
			return audited(
				ctx,
				'hosts.test',
				target,
				audit,
				async () => {
					const hosts = ctx.services.hosts;
					let rec: HostRecord;
					if ('draft' in input) rec = hosts.draftRecord(input.draft);
					else if ('patch' in input) rec = await hosts.patchedRecord(input.id, input.patch);
					else {
						const saved = await hosts.get(input.id);
						if (!saved) throw new HostsError('NOT_FOUND', `no host "${input.id}"`);
						rec = saved;
					}
					return probeOnce(rec);
				},
				(r) => (r.ok ? `ok: ${r.detail}` : `failed: ${r.reason}`)
			);
		}),

	/**
	 * The caller's remembered host (the header's switcher): this instance's id, a registered one,
	 * or null (none, or it was removed). Only users with an account have one: a token, a proxy
	 * login or VMW_AUTH=off get null.
	 */
	preferred: viewerProcedure.input(optionalHost).query(async ({ ctx }) => {
		const userId = ctx.principal.via === 'session' ? ctx.principal.userId : undefined;
		return {
			hostId: userId === undefined ? null : await ctx.services.hosts.preferred(userId),
			localHostId: ctx.services.config.hostId
		};
	}),

	/**
	 * Remembers the caller's host (null forgets). For a principal without an account (a token, a
	 * proxy login, VMW_AUTH=off) it is a no-op answering `remembered: false`: the choice then
	 * lives in the URL (`?host=`) only. NOT_FOUND for a host this hub does not know.
	 */
	setPreferred: viewerProcedure
		.input(z.object({ hostId: hostIdString.nullable() }).strict())
		.mutation(async ({ ctx, input }) => {
			const userId = ctx.principal.via === 'session' ? ctx.principal.userId : undefined;
			if (userId === undefined) return { remembered: false };
			await audited(
				ctx,
				'hosts.setPreferred',
				input.hostId ?? 'none',
				undefined,
				() => ctx.services.hosts.setPreferred(userId, input.hostId),
				() => 'remembered'
			);
			return { remembered: true };
		})
});
