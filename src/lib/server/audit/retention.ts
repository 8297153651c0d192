// VMW_AUDIT_RETENTION_DAYS (issue 21 item 2): the audit record is pruned in the sampler's hourly
// prune pass, beside the history it already prunes (no timer of its own).
import type { Db } from '../db';
import type { Logger } from '../log';
import { pruneActions } from './actions';

/** The history store the sampler prunes, whose prune pass also prunes the audit record. */
export function withAuditRetention<S extends { pruneOlderThan(tsMs: number): Promise<number> }>(
	store: S,
	{
		db,
		retentionMs,
		log,
		now = Date.now
	}: { db: Db; retentionMs: number; log: Logger; now?: () => number }
): S {
	return {
		...store,
		async pruneOlderThan(tsMs: number) {
			const deleted = await store.pruneOlderThan(tsMs);
			const cutoff = now() - retentionMs;
			await pruneActions(db, cutoff).then(
				(n) =>
					n > 0 &&
					log.info('audit record pruned', { cutoff: new Date(cutoff).toISOString(), deleted: n }),
				(err) => log.error('cannot prune the audit record', { err })
			);
			return deleted;
		}
	};
}
