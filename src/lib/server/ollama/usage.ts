// The Ollama usage record: loaded periods per model, built from successive /api/ps polls.
// A period opens at the first poll that sees a model loaded and closes at the first poll that
// sees it gone. The panel's "last used" and the digest's "sessions this week" read it.
import { and, eq, gte, isNull, lt, max, or, sql } from 'drizzle-orm';
import type { Db } from '../db';
import { ollamaUsage } from '../db/schema';

export interface PollRecord {
	hostId: string;
	/** names of the models /api/ps reported */
	loaded: string[];
	/** epoch ms of the poll */
	now: number;
	/**
	 * A period not seen for longer than this (the app was down, or Ollama was unreachable)
	 * ends at its last sighting instead of now: we do not know when it really ended.
	 */
	gapMs: number;
	/** model → host RAM it takes loaded (/api/ps size minus its VRAM part), stored with a new period (memory attribution, issue 25) */
	sizes?: Record<string, number>;
}

/** Apply one successful /api/ps poll. Returns how many periods were opened and closed. */
export async function recordPoll(
	db: Db,
	{ hostId, loaded, now, gapMs, sizes = {} }: PollRecord
): Promise<{ opened: number; closed: number }> {
	const names = [...new Set(loaded)];
	return db.transaction(async (tx) => {
		const open = await tx
			.select()
			.from(ollamaUsage)
			.where(and(eq(ollamaUsage.hostId, hostId), isNull(ollamaUsage.endedAt)));
		const openByModel = new Map(open.map((r) => [r.model, r]));
		let opened = 0;
		let closed = 0;
		for (const row of open) {
			const stillLoaded = names.includes(row.model);
			const stale = now - row.lastSeenAt > gapMs;
			if (stillLoaded && !stale) {
				await tx.update(ollamaUsage).set({ lastSeenAt: now }).where(eq(ollamaUsage.id, row.id));
			} else {
				// gone, or unseen so long that "still loaded" is a new period
				await tx
					.update(ollamaUsage)
					.set({ endedAt: stale ? row.lastSeenAt : now })
					.where(eq(ollamaUsage.id, row.id));
				closed++;
				if (stillLoaded) openByModel.delete(row.model);
			}
		}
		for (const model of names) {
			const row = openByModel.get(model);
			if (row && now - row.lastSeenAt <= gapMs) continue;
			await tx.insert(ollamaUsage).values({
				hostId,
				model,
				startedAt: now,
				lastSeenAt: now,
				endedAt: null,
				sizeBytes: sizes[model] ?? null
			});
			opened++;
		}
		return { opened, closed };
	});
}

/** model → epoch ms it was last seen loaded. */
export async function lastUsedByModel(db: Db, hostId: string): Promise<Map<string, number>> {
	const rows = await db
		.select({ model: ollamaUsage.model, at: max(ollamaUsage.lastSeenAt) })
		.from(ollamaUsage)
		.where(eq(ollamaUsage.hostId, hostId))
		.groupBy(ollamaUsage.model);
	return new Map(rows.filter((r) => r.at !== null).map((r) => [r.model, r.at!]));
}

export interface ModelSessions {
	model: string;
	/** periods that started in the window */
	sessions: number;
	/** loaded time inside the window (periods clipped to it), ms */
	loadedMs: number;
}

/** Per model: sessions started in [fromMs, toMs) and loaded time inside the window. For the weekly digest. */
export async function sessionsBetween(
	db: Db,
	{ hostId, fromMs, toMs }: { hostId: string; fromMs: number; toMs: number }
): Promise<ModelSessions[]> {
	// periods overlapping the window: started before its end and not ended before its start
	const rows = await db
		.select()
		.from(ollamaUsage)
		.where(
			and(
				eq(ollamaUsage.hostId, hostId),
				lt(ollamaUsage.startedAt, toMs),
				or(isNull(ollamaUsage.endedAt), gte(ollamaUsage.endedAt, fromMs))
			)
		)
		.orderBy(sql`${ollamaUsage.model}`);
	const out = new Map<string, ModelSessions>();
	for (const r of rows) {
		const m = out.get(r.model) ?? { model: r.model, sessions: 0, loadedMs: 0 };
		if (r.startedAt >= fromMs) m.sessions++;
		const end = Math.min(r.endedAt ?? r.lastSeenAt, toMs);
		m.loadedMs += Math.max(0, end - Math.max(r.startedAt, fromMs));
		out.set(r.model, m);
	}
	return [...out.values()];
}
