CREATE TABLE `host_history` (
	`host_id` text NOT NULL,
	`ts` integer NOT NULL,
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
CREATE TABLE `sessions` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`role` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sessions_expires_idx` ON `sessions` (`expires_at`);--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
