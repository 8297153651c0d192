// The classic text log scripts/vm-cleanup.sh writes (VMW_LOG_DIR/vm-cleanup.log), read for
// runs older than the JSON records. Accepted format, one line each, as the script's log():
//   <ISO-8601 UTC, seconds, Z> [<runId>] <message>
// where a run is the lines sharing a runId, and these messages carry meaning:
//   vm-cleanup <mode>[ (dry run)] started on <host>, disk <mount>: <pct>% used
//   <step name> <ok|skipped|failed> <size: "0 B" or "1.5 MiB"> <message>     (padded columns)
//   HOLD: <reason>; skipping every step
//   interrupted by SIG<NAME>; recording the run as failed
//   vm-cleanup <mode> finished: <ok|partial|failed>, <freed|would free> <size> (ok N, failed N, skipped N)
// Every other line (stderr of a step, notes) is ignored. Sizes are the script's human_bytes
// (1024-based, one decimal), so freedBytes from this log is approximate (±0.05 of a unit).
// A run with a start line and no finish (nor HOLD) line was interrupted.
import type { CleanupMode } from './crontab';

export interface ClassicRun {
	runId: string;
	ts: string;
	mode: CleanupMode;
	dryRun: boolean;
	status: 'ok' | 'partial' | 'failed' | 'held' | 'interrupted';
	freedBytes: number | null;
	message: string | null;
	steps: {
		name: string;
		status: 'ok' | 'skipped' | 'failed';
		freedBytes: number;
		message: string;
	}[];
}

const LINE_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z) \[([^\]\s]{1,100})\] (.*)$/;
const START_RE = /^vm-cleanup (standard|weekly|full)( \(dry run\))? started on /;
const END_RE =
	/^vm-cleanup (standard|weekly|full) finished: (ok|partial|failed), (?:freed|would free) (\d+(?:\.\d+)?) (B|KiB|MiB|GiB|TiB)\b/;
const STEP_RE =
	/^([a-z0-9_]+)\s+(ok|skipped|failed)\s+(\d+(?:\.\d+)?) (B|KiB|MiB|GiB|TiB)\s{2}(.*)$/;
const UNITS: Record<string, number> = {
	B: 1,
	KiB: 1024,
	MiB: 1024 ** 2,
	GiB: 1024 ** 3,
	TiB: 1024 ** 4
};

export const humanToBytes = (n: string, unit: string) => Math.round(Number(n) * UNITS[unit]);

/**
 * Assembles runs from lines fed newest first (as a backward reader gives them). `push`
 * returns a finished run when a start line completes one; lines that are not log lines
 * return 'malformed'.
 */
export function createClassicAssembler() {
	let current: (Omit<ClassicRun, 'ts' | 'mode' | 'dryRun'> & { mode?: CleanupMode }) | null = null;
	return {
		push(text: string): ClassicRun | 'malformed' | null {
			const m = LINE_RE.exec(text);
			if (!m) return text.trim() === '' ? null : 'malformed';
			const [, ts, runId, msg] = m;
			if (!current || current.runId !== runId)
				current = { runId, status: 'interrupted', freedBytes: null, message: null, steps: [] };
			const end = END_RE.exec(msg);
			if (end) {
				current.status = end[2] as ClassicRun['status'];
				current.freedBytes = humanToBytes(end[3], end[4]);
				return null;
			}
			const step = STEP_RE.exec(msg);
			if (step) {
				current.steps.unshift({
					name: step[1],
					status: step[2] as 'ok',
					freedBytes: humanToBytes(step[3], step[4]),
					message: step[5].trim()
				});
				return null;
			}
			if (msg.startsWith('HOLD: ')) {
				current.status = 'held';
				current.freedBytes = 0;
				current.message = msg.slice(6).replace(/; skipping every step$/, '');
				return null;
			}
			const sig = /^interrupted by (SIG[A-Z]+)/.exec(msg);
			if (sig) {
				current.status = 'failed';
				current.message = `interrupted by ${sig[1]}`;
				return null;
			}
			const start = START_RE.exec(msg);
			if (start) {
				const run: ClassicRun = {
					...current,
					ts: ts.replace('Z', '.000Z'),
					mode: start[1] as CleanupMode,
					dryRun: start[2] !== undefined
				};
				if (run.status === 'interrupted')
					run.freedBytes = run.steps.reduce((s, x) => s + x.freedBytes, 0) || null;
				current = null;
				return run;
			}
			return null;
		}
	};
}
