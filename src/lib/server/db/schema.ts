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

/** People who log in (issue 16 part 1). The first admin is migrated from the single admin password. */
export const users = sqliteTable('users', {
	id: integer('id').primaryKey({ autoIncrement: true }),
	/** login name: lower-case letters, digits, dot, dash, underscore */
	name: text('name').notNull().unique(),
	role: text('role', { enum: ['viewer', 'operator', 'admin'] }).notNull(),
	/** scrypt$N$r$p$salt$hash (auth/passwords.ts) */
	passwordHash: text('password_hash').notNull(),
	/** random; rotated on password change or "log out everywhere": sessions carry it */
	credential: text('credential').notNull(),
	createdAt: integer('created_at').notNull(),
	updatedAt: integer('updated_at').notNull()
});

/** API tokens for other tools (issue 16 part 2): shown once, only their SHA-256 stored. */
export const apiTokens = sqliteTable('api_tokens', {
	id: integer('id').primaryKey({ autoIncrement: true }),
	name: text('name').notNull(),
	/** read = viewer, operate = operator */
	scope: text('scope', { enum: ['read', 'operate'] }).notNull(),
	/** sha256 hex of the token */
	tokenHash: text('token_hash').notNull().unique(),
	createdAt: integer('created_at').notNull(),
	/** who created it (actorOf) */
	createdBy: text('created_by').notNull(),
	expiresAt: integer('expires_at'),
	lastUsedAt: integer('last_used_at'),
	revokedAt: integer('revoked_at')
});

export const sessions = sqliteTable(
	'sessions',
	{
		/** sha256 of the cookie value; the cookie itself is never stored */
		idHash: text('id_hash').primaryKey(),
		role: text('role', { enum: ['viewer', 'operator', 'admin'] }).notNull(),
		createdAt: integer('created_at').notNull(),
		expiresAt: integer('expires_at').notNull(),
		/** the user's credential it was issued under: a password change or "log out everywhere" ends it */
		credential: text('credential').notNull().default(''),
		userId: integer('user_id').references(() => users.id, { onDelete: 'cascade' }),
		/** epoch ms of the last request (idle expiry); written at most once a minute */
		lastSeenAt: integer('last_seen_at').notNull().default(0)
	},
	(t) => [index('sessions_expires_idx').on(t.expiresAt)]
);

/** Small key/value settings, e.g. the admin password hash set through /setup. */
export const settings = sqliteTable('settings', {
	key: text('key').primaryKey(),
	value: text('value').notNull(),
	updatedAt: integer('updated_at').notNull()
});

/**
 * Operator and watchdog actions (DESIGN decision 7): an intent row is written before the
 * action runs and completed with its outcome after. A row still `pending` at start-up
 * belongs to a process that died mid-action and is marked `unknown`.
 */
export const actions = sqliteTable(
	'actions',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		hostId: text('host_id').notNull(),
		/** epoch ms of the intent */
		ts: integer('ts').notNull(),
		/** who: 'session:admin:<user>', 'token:viewer', 'token:operator:#<id>', 'proxy:…', 'watchdog', 'auth-off:admin', … (audit/actions.ts actorOf) */
		actor: text('actor').notNull(),
		/** client address, when a request caused it */
		address: text('address'),
		/** dotted name, e.g. 'containers.restart', 'maintenance.run', 'ollama.load' */
		action: text('action').notNull(),
		/** what it acted on: a container name, a job, a model */
		target: text('target'),
		/** short JSON summary of the input (never secrets) */
		input: text('input'),
		outcome: text('outcome', { enum: ['pending', 'ok', 'error', 'denied', 'unknown'] }).notNull(),
		/** short result or error text */
		result: text('result'),
		/** epoch ms of the outcome */
		endedAt: integer('ended_at')
	},
	(t) => [index('actions_ts_idx').on(t.ts), index('actions_action_idx').on(t.action, t.ts)]
);
