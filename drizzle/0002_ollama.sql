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
CREATE INDEX `ollama_usage_open_idx` ON `ollama_usage` (`host_id`,`ended_at`);