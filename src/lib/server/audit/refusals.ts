// Refused state changes in the audit record, without letting a flood of them flood the record
// (issue 21 items 2 and 10). Every mutation that ends in an error without having written a row
// of its own — no credentials (401), the wrong role (403), the rate limit (429), invalid input
// (400), an unknown target (404), a dependency down (503) — gets one row; repeats of the same
// refusal (same actor, address, procedure, outcome and reason) within COALESCE_WINDOW_MS update
// that row's count and end time instead of adding rows, at most once a second.
import { eq } from 'drizzle-orm';
import type { Db } from '../db';
import { actions } from '../db/schema';
import { recordEvent, type ActionIntent } from './actions';
import { scrubUrls } from '../net/url-secrets';

export const COALESCE_WINDOW_MS = 60_000;
/** Count updates of one coalesced row are written at most this often. */
const FLUSH_MS = 1000;
/** Distinct refusals remembered at once; the oldest is forgotten first (it then starts a new row). */
const MAX_OPEN = 5000;

interface Open {
	id: Promise<number | null>;
	firstAt: number;
	lastAt: number;
	count: number;
	writtenCount: number;
	timer: ReturnType<typeof setTimeout> | null;
}

export type RefusalOutcome = 'denied' | 'error';

export function createRefusalRecorder({
	db,
	now = Date.now,
	windowMs = COALESCE_WINDOW_MS
}: {
	db: Db;
	now?: () => number;
	windowMs?: number;
}) {
	const open = new Map<string, Open>();

	const resultText = (reason: string, o: Open) =>
		o.count > 1
			? `${reason} (×${o.count} from ${new Date(o.firstAt).toISOString()} to ${new Date(o.lastAt).toISOString()})`
			: reason;

	async function flush(key: string, reason: string) {
		const o = open.get(key);
		if (!o) return;
		o.timer = null;
		const id = await o.id;
		if (id === null || o.writtenCount === o.count) return;
		o.writtenCount = o.count;
		await db
			.update(actions)
			.set({ result: resultText(reason, o).slice(0, 1000), endedAt: o.lastAt })
			.where(eq(actions.id, id));
	}

	function forgetOld(at: number) {
		for (const [key, o] of open) {
			if (at - o.firstAt < windowMs && open.size <= MAX_OPEN) break; // insertion order: the oldest first
			if (o.timer) continue; // its last count is still to be written
			open.delete(key);
		}
	}

	return {
		/** One refused mutation. Never throws: an audit write must not turn a refusal into a 500. */
		async record(intent: ActionIntent, outcome: RefusalOutcome, why: string): Promise<void> {
			const at = now();
			const reason = scrubUrls(why).slice(0, 300);
			const key = [
				intent.hostId,
				intent.actor,
				intent.address ?? '',
				intent.action,
				outcome,
				reason
			].join('\u0000');
			forgetOld(at);
			const had = open.get(key);
			if (had && at - had.firstAt < windowMs) {
				had.count++;
				had.lastAt = at;
				had.timer ??= setTimeout(() => void flush(key, reason).catch(() => {}), FLUSH_MS);
				had.timer.unref?.();
				return;
			}
			if (had?.timer) {
				clearTimeout(had.timer);
				await flush(key, reason).catch(() => {});
			}
			open.delete(key);
			const entry: Open = {
				id: recordEvent(db, intent, outcome, reason, at).catch(() => null),
				firstAt: at,
				lastAt: at,
				count: 1,
				writtenCount: 1,
				timer: null
			};
			open.set(key, entry);
			await entry.id;
		},
		/** Writes every pending count now (tests, shutdown). */
		async flushAll(): Promise<void> {
			await Promise.all(
				[...open.entries()].map(([key, o]) => {
					if (o.timer) clearTimeout(o.timer);
					return o.timer ? flush(key, key.split('\u0000').at(-1)!) : Promise.resolve();
				})
			);
		}
	};
}

export type RefusalRecorder = ReturnType<typeof createRefusalRecorder>;

const recorders = new WeakMap<Db, RefusalRecorder>();
/** The one recorder of a database (its open rows are shared by every request). */
export function refusalRecorder(db: Db): RefusalRecorder {
	let r = recorders.get(db);
	if (!r) recorders.set(db, (r = createRefusalRecorder({ db })));
	return r;
}
