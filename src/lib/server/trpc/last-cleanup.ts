// The "Last cleanup" line for /, /vm and /maintenance: from cron.status through the page's caller,
// never failing the page (a page-load helper of the caller, not a domain module).
import type { callerFor } from './caller';

export async function lastCleanupFor(caller: ReturnType<typeof callerFor>) {
	try {
		const s = await caller.cron.status();
		return {
			last: s.lastCleanup,
			historyMissingAt:
				s.history.found.cleanup || s.history.found.cleanupLog ? null : s.history.files.cleanup,
			unavailable: null as string | null
		};
	} catch (err) {
		return {
			last: null,
			historyMissingAt: null,
			unavailable: err instanceof Error ? err.message : String(err)
		};
	}
}
