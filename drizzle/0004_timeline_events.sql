CREATE TABLE `timeline_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`host_id` text NOT NULL,
	`ts` integer NOT NULL,
	`kind` text NOT NULL,
	`ref` text NOT NULL,
	`container` text,
	`stack` text,
	`severity` text NOT NULL,
	`title` text NOT NULL,
	`detail` text,
	`bytes` integer,
	`href` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `timeline_events_ref_idx` ON `timeline_events` (`host_id`,`kind`,`ref`);--> statement-breakpoint
CREATE INDEX `timeline_events_ts_idx` ON `timeline_events` (`host_id`,`ts`);