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
