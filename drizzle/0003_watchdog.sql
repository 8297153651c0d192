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
