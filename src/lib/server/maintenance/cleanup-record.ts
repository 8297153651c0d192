// The JSON-lines file scripts/vm-cleanup.sh appends to (VMW_LOG_DIR/vm-cleanup.jsonl).
// Per run, the script writes a start marker first and the run record last:
//   {"event":"start","runId","ts","mode","dryRun","pid","hostId"}
//   {"runId","hostId","ts","mode","dryRun","diskBefore","diskAfter","freedBytes","durationMs","status","message"?,"steps":[...]}
// A start marker with no record of the same runId is a run that was killed mid-way.
// Runs are serialised by flock, so an unmatched start followed by any later line cannot
// still be running; only a trailing one may be (see `pending`).
// The same contract as JSON Schema: schemas/cleanup-run.schema.json (kept in step by
// cleanup-record.spec.ts).
import { z } from 'zod';

const isoTs = z.iso.datetime({ precision: 3 });
const bytes = z.int().nonnegative();
const mode = z.enum(['standard', 'weekly', 'full']);

export const cleanupDiskSchema = z
	.strictObject({
		mount: z.string().min(1),
		usedBytes: bytes,
		availBytes: bytes,
		/** used / (used + avail) * 100, as df computes it */
		usedPct: z.number().min(0).max(100)
	})
	.nullable();

export const cleanupStepSchema = z.strictObject({
	name: z.string().regex(/^[a-z0-9_]+$/),
	status: z.enum(['ok', 'skipped', 'failed']),
	/** In a dry run: what the step would free. */
	freedBytes: bytes,
	durationMs: z.int().nonnegative(),
	/** What was done, the skip reason or the failure. */
	message: z.string()
});

export const cleanupRunRecordSchema = z.strictObject({
	runId: z.string().min(1),
	hostId: z.string().min(1).optional(),
	/** Start of the run. */
	ts: isoTs,
	mode,
	dryRun: z.boolean(),
	diskBefore: cleanupDiskSchema,
	diskAfter: cleanupDiskSchema,
	/** Sum of the steps' freedBytes (what they would free in a dry run). */
	freedBytes: bytes,
	durationMs: z.int().nonnegative(),
	status: z.enum(['ok', 'partial', 'failed', 'held']),
	/** Why the run was held or interrupted. */
	message: z.string().optional(),
	steps: z.array(cleanupStepSchema)
});

export const cleanupStartMarkerSchema = z.strictObject({
	event: z.literal('start'),
	runId: z.string().min(1),
	ts: isoTs,
	mode,
	dryRun: z.boolean(),
	pid: z.int().positive(),
	hostId: z.string().min(1).optional()
});

export type CleanupRunRecord = z.infer<typeof cleanupRunRecordSchema>;
export type CleanupStep = z.infer<typeof cleanupStepSchema>;
export type CleanupStartMarker = z.infer<typeof cleanupStartMarkerSchema>;

export interface CleanupJsonlError {
	/** 1-based line number in the text */
	line: number;
	error: string;
}

export interface ParsedCleanupJsonl {
	/** Complete runs, in file order. */
	records: CleanupRunRecord[];
	/** Runs that started and never wrote their record (killed mid-way), oldest first. */
	interrupted: CleanupStartMarker[];
	/**
	 * A start marker on the last non-blank line with no record: the run is either still
	 * going or was killed with nothing run since. Check its pid or the lock to tell.
	 */
	pending: CleanupStartMarker | null;
	/** Lines that are not JSON or match neither shape; the rest of the file still counts. */
	errors: CleanupJsonlError[];
}

/** Parse vm-cleanup.jsonl (or several rotated files joined oldest first). Never throws. */
export function parseCleanupJsonl(text: string): ParsedCleanupJsonl {
	const records: CleanupRunRecord[] = [];
	const errors: CleanupJsonlError[] = [];
	const starts: { marker: CleanupStartMarker; index: number }[] = [];
	const finished = new Set<string>();
	let index = 0;

	text.split('\n').forEach((raw, i) => {
		const line = raw.trim();
		if (line === '') return;
		let value: unknown;
		try {
			value = JSON.parse(line);
		} catch (cause) {
			errors.push({ line: i + 1, error: `not JSON: ${(cause as Error).message}` });
			return;
		}
		const isStart =
			typeof value === 'object' &&
			value !== null &&
			(value as { event?: unknown }).event === 'start';
		const parsed = isStart
			? cleanupStartMarkerSchema.safeParse(value)
			: cleanupRunRecordSchema.safeParse(value);
		if (!parsed.success) {
			const what = isStart ? 'start marker' : 'run record';
			errors.push({ line: i + 1, error: `invalid ${what}: ${z.prettifyError(parsed.error)}` });
			return;
		}
		index += 1;
		if (isStart) {
			starts.push({ marker: parsed.data as CleanupStartMarker, index });
		} else {
			const record = parsed.data as CleanupRunRecord;
			records.push(record);
			finished.add(record.runId);
		}
	});

	const unmatched = starts.filter((s) => !finished.has(s.marker.runId));
	const last = unmatched.at(-1);
	const pending = last && last.index === index ? last.marker : null;
	const interrupted = unmatched.filter((s) => s.marker !== pending).map((s) => s.marker);
	return { records, interrupted, pending, errors };
}
