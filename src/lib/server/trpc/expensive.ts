// Per-caller limit on expensive queries (issue 21, decision 0020): history and trend reads, the
// audit list. A read token is what Prometheus and scripts hold; it must not be able to fill the
// event loop. Each caller runs at most `running` of them at once (VMW_QUERY_CONCURRENCY); up to
// MAX_BATCH_CALLS more wait their turn (one full batch of the typed client queues rather than
// fails), and any beyond that are refused 429 at once.
import { TRPCError } from '@trpc/server';
import type { Principal } from '../auth/auth';
import { MAX_BATCH_CALLS } from '$lib/trpc/limits';
import { hostViewerProcedure, hubLocalHostViewerProcedure, middleware } from './init';

export const DEFAULT_QUERY_CONCURRENCY = 2;

interface Slot {
	running: number;
	waiting: (() => void)[];
}

/** Who a limit counts against: the user, the managed token, else the kind of credential (the one VMW_API_TOKEN). */
export function callerKey(principal: Principal | null, clientKey: string): string {
	if (!principal) return `anonymous@${clientKey}`;
	if (principal.userName) return `user:${principal.userName}`;
	if (principal.tokenId !== undefined) return `token:#${principal.tokenId}`;
	if (principal.via === 'auth-off') return `auth-off@${clientKey}`;
	return `${principal.via}:${principal.role}`;
}

export function createConcurrencyLimit({
	maxWaiting = MAX_BATCH_CALLS
}: { maxWaiting?: number } = {}) {
	const slots = new Map<string, Slot>();

	/** Waits for a turn (or refuses at once: TOO_MANY_REQUESTS); call the returned release when done. */
	async function acquire(key: string, running: number, signal?: AbortSignal): Promise<() => void> {
		let slot = slots.get(key);
		if (!slot) slots.set(key, (slot = { running: 0, waiting: [] }));
		const s = slot;
		if (s.running >= running) {
			if (s.waiting.length >= maxWaiting)
				throw new TRPCError({
					code: 'TOO_MANY_REQUESTS',
					message: `Too many expensive queries at once from this caller (${running} run, ${maxWaiting} wait); wait for the answers before sending more.`
				});
			await new Promise<void>((resolve, reject) => {
				const turn = () => {
					signal?.removeEventListener('abort', onAbort);
					resolve();
				};
				const onAbort = () => {
					const i = s.waiting.indexOf(turn);
					if (i >= 0) s.waiting.splice(i, 1);
					reject(
						new TRPCError({ code: 'CLIENT_CLOSED_REQUEST', message: 'The request was cancelled.' })
					);
				};
				if (signal?.aborted) return onAbort();
				signal?.addEventListener('abort', onAbort, { once: true });
				s.waiting.push(turn);
			});
		} else s.running++;
		let released = false;
		const free = () => {
			if (--s.running === 0) slots.delete(key);
		};
		return () => {
			if (released) return;
			released = true;
			if (!s.waiting.length) return free();
			// The slot passes to the next waiter (`running` stays the same) in a turn of the event loop
			// of its own: handed over at once, a caller's whole queue of SQLite reads (libSQL answers
			// synchronously, on this thread) ran back to back as one task; ten 200-row activity pages
			// held the loop ~60 ms (issue 21).
			setImmediate(() => {
				const next = s.waiting.shift();
				if (next) next();
				else free();
			});
		};
	}

	return {
		acquire,
		/** running and waiting calls of one caller (tests) */
		state: (key: string) => ({
			running: slots.get(key)?.running ?? 0,
			waiting: slots.get(key)?.waiting.length ?? 0
		})
	};
}

export type ConcurrencyLimit = ReturnType<typeof createConcurrencyLimit>;

/** One limit per process: every route (tRPC and the JSON endpoints) counts against the same caller. */
export const expensiveQueries = createConcurrencyLimit();

/** Runs `work` within the caller's share of expensive queries (VMW_QUERY_CONCURRENCY; TOO_MANY_REQUESTS beyond it). */
export async function withinQueryLimit<T>(
	{
		principal,
		clientKey,
		running,
		signal
	}: {
		principal: Principal | null;
		clientKey: string;
		running: number | undefined;
		signal?: AbortSignal;
	},
	work: () => Promise<T>
): Promise<T> {
	const release = await expensiveQueries.acquire(
		callerKey(principal, clientKey),
		running ?? DEFAULT_QUERY_CONCURRENCY,
		signal
	);
	try {
		return await work();
	} finally {
		release();
	}
}

const withinLimit = middleware(({ ctx, signal, next }) =>
	withinQueryLimit(
		{
			principal: ctx.principal,
			clientKey: ctx.clientKey,
			running: ctx.services?.config?.queryConcurrency,
			signal
		},
		() => next()
	)
);

/** hostViewerProcedure for a query whose cost grows with its input or the stored data (history, the audit list). */
export const expensiveHostViewerProcedure = hostViewerProcedure.use(withinLimit);
/** hubLocalHostViewerProcedure, limited the same way (trends). */
export const expensiveHubLocalHostViewerProcedure = hubLocalHostViewerProcedure.use(withinLimit);
