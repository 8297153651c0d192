import {
	sqliteTable,
	text,
	integer,
	real,
	primaryKey,
	index,
	uniqueIndex
} from 'drizzle-orm/sqlite-core';
import { sql } from 'drizzle-orm';

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
	updatedAt: integer('updated_at').notNull(),
	/** the host the user last chose in the header's switcher (issue 15); null = this instance's own */
	preferredHostId: text('preferred_host_id')
});

/** API tokens for other tools (issue 16 part 2): shown once, only their SHA-256 stored. */
export const apiTokens = sqliteTable('api_tokens', {
	id: integer('id').primaryKey({ autoIncrement: true }),
	name: text('name').notNull(),
	/** read = viewer, operate = operator, hub = operator that may name the hub user (x-vmwarden-on-behalf-of) */
	scope: text('scope', { enum: ['read', 'operate', 'hub'] }).notNull(),
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
 * A field of an action's `input` (a JSON summary, clipped at 500 characters: a clipped one is not
 * JSON, and reading a field of it fails the read, or the write of an indexed row), or NULL.
 */
export const actionInputField = (jsonPath: string) =>
	`CASE WHEN json_valid(input) THEN input ->> '${jsonPath}' END`;

// The timeline kind and severity of an action row (timeline/timeline.ts), index expressions
// (actions_timeline_idx): the timeline's reads use these exact texts, else SQLite computes them per
// row. No commas: drizzle-kit 0.31 splits an index expression at its commas and quotes the pieces
// as column names (drizzle-orm issue 6062).

/**
 * The timeline kind of an action row, NULL for the rows it never lists: denied ones, logins
 * (auth.*) and the daily/weekly/test messages.
 */
export const ACTION_TIMELINE_KIND = `CASE WHEN outcome = 'denied' OR action = 'alerts.daily' OR action = 'digest.send' OR action = 'alerts.test' OR action LIKE 'auth.%' THEN NULL WHEN action = 'watchdog.oom' THEN 'oom' WHEN action = 'alerts.send' THEN 'alert' WHEN action LIKE 'watchdog.%' THEN 'watchdog' ELSE 'action' END`;

/** The timeline severity of an action row: an alert's own, else by the action and its outcome. */
export const ACTION_TIMELINE_SEVERITY = `CASE WHEN action = 'alerts.send' THEN CASE WHEN NOT json_valid(input) THEN 'info' WHEN input ->> '$.severity' IS NULL THEN 'info' ELSE input ->> '$.severity' END WHEN action = 'watchdog.oom' OR action = 'watchdog.quarantine' OR outcome = 'error' THEN 'CRIT' WHEN action = 'watchdog.restart' THEN 'WARN' ELSE 'info' END`;

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
	(t) => [
		index('actions_ts_idx').on(t.ts),
		index('actions_action_idx').on(t.action, t.ts),
		// the timeline's list, one host's rows newest first (a hub keeps the rows of the hosts it serves)
		index('actions_host_ts_idx').on(t.hostId, t.ts),
		// the timeline's strip counts, one kind's rows in time order with their severity (decision 0034)
		index('actions_timeline_idx').on(
			t.hostId,
			sql.raw(ACTION_TIMELINE_KIND),
			t.ts,
			sql.raw(ACTION_TIMELINE_SEVERITY)
		)
	]
);

/**
 * Watchdog restart history (issue 9). `key` is the compose project/service/number when the
 * container has compose labels, else its name, so a re-created container keeps its budget;
 * `containerId` is kept too. Dry-run rows are what the watchdog would have done.
 */
export const watchdogRestarts = sqliteTable(
	'watchdog_restarts',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		hostId: text('host_id').notNull(),
		key: text('key').notNull(),
		containerId: text('container_id').notNull(),
		containerName: text('container_name').notNull(),
		composeProject: text('compose_project'),
		composeService: text('compose_service'),
		/** epoch ms of the restart call */
		ts: integer('ts').notNull(),
		reason: text('reason').notNull(),
		dryRun: integer('dry_run', { mode: 'boolean' }).notNull().default(false),
		outcome: text('outcome', { enum: ['ok', 'error'] }).notNull(),
		/** ms from the health_status: unhealthy event to the restart call, when the event was seen */
		reactionMs: integer('reaction_ms')
	},
	(t) => [
		index('watchdog_restarts_key_idx').on(t.hostId, t.key, t.ts),
		index('watchdog_restarts_container_idx').on(t.containerId, t.ts),
		index('watchdog_restarts_ts_idx').on(t.hostId, t.ts)
	]
);

/** Quarantines and releases that must survive a restart of the app, by history key. */
export const watchdogQuarantine = sqliteTable(
	'watchdog_quarantine',
	{
		hostId: text('host_id').notNull(),
		key: text('key').notNull(),
		containerName: text('container_name').notNull(),
		quarantinedSince: integer('quarantined_since'),
		reason: text('reason'),
		releasedAt: integer('released_at')
	},
	(t) => [primaryKey({ columns: [t.hostId, t.key] })]
);

/** Results of watchdog.selfTest (the roadmap's monthly chaos validation). */
export const watchdogSelfTests = sqliteTable('watchdog_selftests', {
	id: integer('id').primaryKey({ autoIncrement: true }),
	hostId: text('host_id').notNull(),
	startedAt: integer('started_at').notNull(),
	endedAt: integer('ended_at'),
	/** 'manual' or 'schedule' */
	trigger: text('trigger').notNull(),
	outcome: text('outcome', { enum: ['running', 'ok', 'failed'] }).notNull(),
	/** ms from the 3rd failed check (the unhealthy event) to the restart call */
	reactionMs: integer('reaction_ms'),
	detail: text('detail')
});

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
		/** highest memory reading of the minute (the memory advisor sizes limits from peaks, not means) */
		memPeakBytes: integer('mem_peak_bytes'),
		memLimitBytes: integer('mem_limit_bytes'),
		readBps: real('read_bps'),
		writeBps: real('write_bps')
	},
	(t) => [
		primaryKey({ columns: [t.hostId, t.key, t.ts] }),
		index('container_history_ts_idx').on(t.ts)
	]
);

/**
 * Ollama usage record (issue 11): one row per period a model stayed loaded, from polling
 * /api/ps. `lastSeenAt` is the last poll that saw it loaded, `endedAt` the poll that saw it
 * gone (null while it is still loaded). "Last used" and the weekly session count read this.
 */
export const ollamaUsage = sqliteTable(
	'ollama_usage',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		hostId: text('host_id').notNull(),
		model: text('model').notNull(),
		/** epoch ms of the first poll that saw it loaded */
		startedAt: integer('started_at').notNull(),
		/** epoch ms of the last poll that saw it loaded */
		lastSeenAt: integer('last_seen_at').notNull(),
		/** epoch ms it was seen gone; null while loaded */
		endedAt: integer('ended_at'),
		/** memory it took loaded (/api/ps size, RAM + VRAM) at its first sighting; null in rows older than issue 25 */
		sizeBytes: integer('size_bytes')
	},
	(t) => [
		index('ollama_usage_model_idx').on(t.hostId, t.model, t.lastSeenAt),
		index('ollama_usage_started_idx').on(t.hostId, t.startedAt),
		index('ollama_usage_open_idx').on(t.hostId, t.endedAt)
	]
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

/**
 * The VM score (issue 13) every VMW_SCORE_INTERVAL_S (5 minutes): the total and each dimension's
 * points; null = unknown (its source was unavailable). Kept VMW_HISTORY_ROLLUP_RETENTION_DAYS.
 */
export const scoreHistory = sqliteTable(
	'score_history',
	{
		hostId: text('host_id').notNull(),
		/** epoch ms */
		ts: integer('ts').notNull(),
		/** 0–100, scaled over the known dimensions */
		total: integer('total'),
		cpu: integer('cpu'),
		memory: integer('memory'),
		disk: integer('disk'),
		services: integer('services'),
		maintenance: integer('maintenance'),
		llm: integer('llm')
	},
	(t) => [primaryKey({ columns: [t.hostId, t.ts] })]
);

/**
 * The hosts registry (issue 15, decision 0013): every VM the hub shows besides its own (the local
 * machine is not a row: it is VMW_HOST_ID). Credentials are one JSON blob sealed with AES-256-GCM
 * under VMW_SECRET_KEY (hosts/crypto.ts), bound to the row's id; `secretsSet` names which ones
 * are set (not secret), so the list reads without the key.
 */
export const hosts = sqliteTable('hosts', {
	/** the hostId every query takes (hostIdSchema's rules) */
	id: text('id').primaryKey(),
	name: text('name').notNull(),
	kind: text('kind', { enum: ['vmwarden', 'docker'] }).notNull(),
	/** vmwarden: base URL */
	url: text('url'),
	/** docker: tcp://host:port or ssh://user@host */
	dockerHost: text('docker_host'),
	/** docker: node_exporter's /metrics URL */
	nodeExporterUrl: text('node_exporter_url'),
	timeoutMs: integer('timeout_ms').notNull(),
	/** v1.<keyId>.<iv>.<ciphertext>.<tag> of the HostSecrets JSON; null = no credentials */
	secretsEnc: text('secrets_enc'),
	/** comma-separated HostSecrets keys that are set, e.g. "token,caPem" */
	secretsSet: text('secrets_set').notNull().default(''),
	createdAt: integer('created_at').notNull(),
	updatedAt: integer('updated_at').notNull()
});

/**
 * Timeline entries that no other table records as such (issue 25, decision 0029), written by the
 * recorders in timeline/: cleanup runs and failed or missed cron runs (from the host scripts' log
 * files and the cron status), container exits Docker saw that vmwarden did not cause (from its
 * event stream), and health changes (a dimension's level against the previous stored score,
 * written with the score). `ref` makes a recorder's rewrite of the same fact a no-op: the run id,
 * `job@start`, `missed:job@expected`, `containerId@eventTimeNano`, `dimension@ts`. Kept
 * VMW_HISTORY_ROLLUP_RETENTION_DAYS.
 */
export const timelineEvents = sqliteTable(
	'timeline_events',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		hostId: text('host_id').notNull(),
		/** epoch ms: a run's start, a missed run's expected start, an exit's event time */
		ts: integer('ts').notNull(),
		kind: text('kind', { enum: ['health', 'cleanup', 'cron', 'docker'] }).notNull(),
		ref: text('ref').notNull(),
		container: text('container'),
		/** compose project */
		stack: text('stack'),
		severity: text('severity', { enum: ['info', 'OK', 'WARN', 'CRIT'] }).notNull(),
		title: text('title').notNull(),
		detail: text('detail'),
		/** cleanup: bytes freed */
		bytes: integer('bytes'),
		/** the page that explains it, when not the kind's (health: the dimension's drill-down) */
		href: text('href')
	},
	(t) => [
		uniqueIndex('timeline_events_ref_idx').on(t.hostId, t.kind, t.ref),
		index('timeline_events_ts_idx').on(t.hostId, t.ts),
		// the timeline's strip counts, one kind's rows in time order with their severity (decision 0034)
		index('timeline_events_kind_idx').on(t.hostId, t.kind, t.ts, t.severity)
	]
);
