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
		/** who: 'session:admin', 'token:read', 'watchdog', 'auth-off', … */
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

/**
 * 15-minute rollups of host_history (db/rollup.ts), kept VMW_HISTORY_ROLLUP_RETENTION_DAYS (90)
 * so 30-day trends work without Prometheus. Each value is the mean of the minutes that had one.
 */
export const hostHistoryRollup = sqliteTable(
	'host_history_rollup',
	{
		hostId: text('host_id').notNull(),
		/** start of the 15 minutes, epoch ms */
		ts: integer('ts').notNull(),
		/** how many 1-minute points went into it */
		minutes: integer('minutes').notNull(),
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

/**
 * 1-minute means per container (docker/stats-collector.ts), keyed by "<compose project>/<service>"
 * (or the name outside compose) so a re-created container keeps its history. Kept 7 days.
 */
export const containerHistory = sqliteTable(
	'container_history',
	{
		hostId: text('host_id').notNull(),
		key: text('key').notNull(),
		/** start of the minute, epoch ms */
		ts: integer('ts').notNull(),
		/** container name during that minute */
		name: text('name').notNull(),
		cpuPct: real('cpu_pct'),
		memUsedBytes: integer('mem_used_bytes'),
		memLimitBytes: integer('mem_limit_bytes'),
		readBps: real('read_bps'),
		writeBps: real('write_bps')
	},
	(t) => [primaryKey({ columns: [t.hostId, t.key, t.ts] }), index('container_history_ts_idx').on(t.ts)]
);

/**
 * Deploys seen on Docker (trends/deploys.ts): a container created or started with an image id its
 * compose service (or, outside compose, its name) did not run before. Drawn as chart markers.
 */
export const deploys = sqliteTable(
	'deploys',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		hostId: text('host_id').notNull(),
		/** epoch ms of the Docker event (or the container's creation, when seen on reconnect) */
		ts: integer('ts').notNull(),
		/** "<compose project>/<service>", or the container name outside compose */
		key: text('key').notNull(),
		container: text('container').notNull(),
		/** the image reference, e.g. "ghcr.io/acme/app:1.4" */
		image: text('image').notNull(),
		/** sha256:… */
		imageId: text('image_id').notNull(),
		previousImageId: text('previous_image_id')
	},
	(t) => [index('deploys_host_ts_idx').on(t.hostId, t.ts)]
);
