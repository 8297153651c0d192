// The "Last cleanup" line for /, /vm and /maintenance: from cron.status, never failing the page.
import type { callerFor } from '../trpc/caller';

export async function lastCleanupFor(caller: ReturnType<typeof callerFor>) {
	try {
		const s = await caller.cron.status();
		return { last: s.lastCleanup, historyMissingAt: s.history.found.cleanup || s.history.found.cleanupLog ? null : s.history.files.cleanup, unavailable: null as string | null };
	} catch (err) {
		return { last: null, historyMissingAt: null, unavailable: err instanceof Error ? err.message : String(err) };
	}
}
