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
