import { sqliteTable, text, integer, real, primaryKey, index } from 'drizzle-orm/sqlite-core';

/** 1-minute downsampled host history (see host/sampler.ts). */
export const hostHistory = sqliteTable(
	'host_history',
	{
		hostId: text('host_id').notNull(),
		/** start of the minute, epoch ms */
		ts: integer('ts').notNull(),
		stealPct: real('steal_pct'),
		busyPct: real('busy_pct'),
		load1: real('load1'),
		memAvailableBytes: integer('mem_available_bytes'),
		swapUsedBytes: integer('swap_used_bytes'),
		swapCachedBytes: integer('swap_cached_bytes'),
		/** JSON: [{ mount, usedPct }] */
		disks: text('disks', { mode: 'json' }).$type<{ mount: string; usedPct: number }[]>().notNull()
	},
	(t) => [primaryKey({ columns: [t.hostId, t.ts] })]
);

export const sessions = sqliteTable(
	'sessions',
	{
		/** sha256 of the cookie value; the cookie itself is never stored */
		idHash: text('id_hash').primaryKey(),
		role: text('role', { enum: ['viewer', 'operator', 'admin'] }).notNull(),
		createdAt: integer('created_at').notNull(),
		expiresAt: integer('expires_at').notNull()
	},
	(t) => [index('sessions_expires_idx').on(t.expiresAt)]
);

/** Small key/value settings, e.g. the admin password hash set through /setup. */
export const settings = sqliteTable('settings', {
	key: text('key').primaryKey(),
	value: text('value').notNull(),
	updatedAt: integer('updated_at').notNull()
});
