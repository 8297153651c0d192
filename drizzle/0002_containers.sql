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
CREATE INDEX `container_history_ts_idx` ON `container_history` (`ts`);