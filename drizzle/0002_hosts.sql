CREATE TABLE `hosts` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`url` text,
	`docker_host` text,
	`node_exporter_url` text,
	`timeout_ms` integer NOT NULL,
	`secrets_enc` text,
	`secrets_set` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `users` ADD `preferred_host_id` text;