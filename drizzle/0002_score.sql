CREATE TABLE `score_history` (
	`host_id` text NOT NULL,
	`ts` integer NOT NULL,
	`total` integer,
	`cpu` integer,
	`memory` integer,
	`disk` integer,
	`services` integer,
	`maintenance` integer,
	`llm` integer,
	PRIMARY KEY(`host_id`, `ts`)
);
