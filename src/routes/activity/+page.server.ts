import { TRPCError } from '@trpc/server';
import type { PageServerLoad } from './$types';
import { hostCallerFor } from '$lib/server/host-choice';
import { hasRole } from '$lib/server/auth/auth';

const OUTCOMES = ['pending', 'ok', 'error', 'denied', 'unknown'] as const;
type Outcome = (typeof OUTCOMES)[number];

export const load: PageServerLoad = async (event) => {
	const caller = hostCallerFor(event);
	const q = event.url.searchParams;
	const pick = (k: string) => q.get(k)?.trim() || undefined;
	const outcome = pick('outcome');
	const cursor = Number(q.get('cursor'));
	const filters = {
		action: pick('action'),
		actor: pick('actor'),
		outcome: OUTCOMES.includes(outcome as Outcome) ? (outcome as Outcome) : undefined,
		target: pick('target')
	};
	let page: Awaited<ReturnType<typeof caller.activity.list>> = { items: [], nextCursor: null };
	let error: string | null = null;
	try {
		page = await caller.activity.list({
			...filters,
			limit: 50,
			cursor: Number.isInteger(cursor) && cursor > 0 ? cursor : undefined
		});
	} catch (err) {
		if (err instanceof TRPCError && err.code === 'BAD_REQUEST')
			error = 'These filters are not valid: use the menus, or clear them.';
		else throw err;
	}
	return {
		page,
		error,
		filters,
		paged: Number.isInteger(cursor) && cursor > 0,
		facets: await caller.activity.facets(),
		// null where there is no watchdog (a bare Docker host) or it cannot be read: the panel says so
		watchdog: await caller.watchdog.status().catch(() => null),
		canOperate: hasRole(event.locals.principal, 'operator')
	};
};
