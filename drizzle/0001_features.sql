CREATE TABLE `actions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`host_id` text NOT NULL,
	`ts` integer NOT NULL,
	`actor` text NOT NULL,
	`address` text,
	`action` text NOT NULL,
	`target` text,
	`input` text,
	`outcome` text NOT NULL,
	`result` text,
	`ended_at` integer
);
--> statement-breakpoint
CREATE INDEX `actions_ts_idx` ON `actions` (`ts`);--> statement-breakpoint
CREATE INDEX `actions_action_idx` ON `actions` (`action`,`ts`);--> statement-breakpoint
CREATE TABLE `api_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`scope` text NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`expires_at` integer,
	`last_used_at` integer,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_token_hash_unique` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE TABLE `container_history` (
	`host_id` text NOT NULL,
	`key` text NOT NULL,
	`ts` integer NOT NULL,
	`name` text NOT NULL,
	`cpu_pct` real,
	`mem_used_bytes` integer,
	`mem_peak_bytes` integer,
	`mem_limit_bytes` integer,
	`read_bps` real,
	`write_bps` real,
	PRIMARY KEY(`host_id`, `key`, `ts`)
);
--> statement-breakpoint
CREATE INDEX `container_history_ts_idx` ON `container_history` (`ts`);--> statement-breakpoint
CREATE TABLE `deploys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`host_id` text NOT NULL,
	`ts` integer NOT NULL,
	`key` text NOT NULL,
	`container` text NOT NULL,
	`image` text NOT NULL,
	`image_id` text NOT NULL,
	`previous_image_id` text
);
--> statement-breakpoint
CREATE INDEX `deploys_host_ts_idx` ON `deploys` (`host_id`,`ts`);--> statement-breakpoint
CREATE TABLE `host_history_rollup` (
	`host_id` text NOT NULL,
	`ts` integer NOT NULL,
	`minutes` integer NOT NULL,
	`steal_pct` real,
	`busy_pct` real,
	`load1` real,
	`mem_available_bytes` integer,
	`swap_used_bytes` integer,
	`swap_cached_bytes` integer,
	`disks` text NOT NULL,
	PRIMARY KEY(`host_id`, `ts`)
);
--> statement-breakpoint
CREATE TABLE `ollama_usage` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`host_id` text NOT NULL,
	`model` text NOT NULL,
	`started_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`ended_at` integer
);
--> statement-breakpoint
CREATE INDEX `ollama_usage_model_idx` ON `ollama_usage` (`host_id`,`model`,`last_seen_at`);--> statement-breakpoint
CREATE INDEX `ollama_usage_started_idx` ON `ollama_usage` (`host_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `ollama_usage_open_idx` ON `ollama_usage` (`host_id`,`ended_at`);--> statement-breakpoint
CREATE TABLE `score_history` (
	`host_id` text NOT NULL,
	`ts` integer NOT NULL,
	`total` integer,
	`cpu` integer,
	`memory` integer,
	`disk` integer,
	`services` integer,
	`maintenance` integer,
	`llm` integer,
	PRIMARY KEY(`host_id`, `ts`)
);
--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`password_hash` text NOT NULL,
	`credential` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_name_unique` ON `users` (`name`);--> statement-breakpoint
CREATE TABLE `watchdog_quarantine` (
	`host_id` text NOT NULL,
	`key` text NOT NULL,
	`container_name` text NOT NULL,
	`quarantined_since` integer,
	`reason` text,
	`released_at` integer,
	PRIMARY KEY(`host_id`, `key`)
);
--> statement-breakpoint
CREATE TABLE `watchdog_restarts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`host_id` text NOT NULL,
	`key` text NOT NULL,
	`container_id` text NOT NULL,
	`container_name` text NOT NULL,
	`compose_project` text,
	`compose_service` text,
	`ts` integer NOT NULL,
	`reason` text NOT NULL,
	`dry_run` integer DEFAULT false NOT NULL,
	`outcome` text NOT NULL,
	`reaction_ms` integer
);
--> statement-breakpoint
CREATE INDEX `watchdog_restarts_key_idx` ON `watchdog_restarts` (`host_id`,`key`,`ts`);--> statement-breakpoint
CREATE INDEX `watchdog_restarts_container_idx` ON `watchdog_restarts` (`container_id`,`ts`);--> statement-breakpoint
CREATE INDEX `watchdog_restarts_ts_idx` ON `watchdog_restarts` (`host_id`,`ts`);--> statement-breakpoint
CREATE TABLE `watchdog_selftests` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`host_id` text NOT NULL,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	`trigger` text NOT NULL,
	`outcome` text NOT NULL,
	`reaction_ms` integer,
	`detail` text
);
--> statement-breakpoint
ALTER TABLE `sessions` ADD `credential` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `user_id` integer REFERENCES users(id);--> statement-breakpoint
ALTER TABLE `sessions` ADD `last_seen_at` integer DEFAULT 0 NOT NULL;