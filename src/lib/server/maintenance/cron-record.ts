// The JSON line scripts/cron-run.sh appends to VMW_LOG_DIR/vmwarden-cron.jsonl per run:
//   {"job","start","end","exitCode","durationMs","outputTail"}
// start/end are ISO 8601 UTC with milliseconds; exitCode is the command's (127 not found,
// 128+N killed by signal N); outputTail the last lines of its output (capped).
import { z } from 'zod';

export const cronRunRecordSchema = z.strictObject({
	job: z.string().min(1).max(200),
	start: z.iso.datetime({ precision: 3 }),
	end: z.iso.datetime({ precision: 3 }),
	exitCode: z.int().min(0).max(255),
	durationMs: z.int().nonnegative(),
	outputTail: z.string()
});

export type CronRunRecord = z.infer<typeof cronRunRecordSchema>;
