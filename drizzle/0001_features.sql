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
CREATE TABLE `container_history` (
	`host_id` text NOT NULL,
	`key` text NOT NULL,
	`ts` integer NOT NULL,
	`name` text NOT NULL,
	`cpu_pct` real,
	`mem_used_bytes` integer,
	`mem_limit_bytes` integer,
	`read_bps` real,
	`write_bps` real,
	PRIMARY KEY(`host_id`, `key`, `ts`)
);
--> statement-breakpoint
CREATE INDEX `container_history_ts_idx` ON `container_history` (`ts`);--> statement-breakpoint
ALTER TABLE `sessions` ADD `credential` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `last_seen_at` integer DEFAULT 0 NOT NULL;