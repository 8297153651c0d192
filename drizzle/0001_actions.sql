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
CREATE INDEX `actions_action_idx` ON `actions` (`action`,`ts`);