// Runs scripts/vm-cleanup.sh for the dashboard (issue 8 item 6).
// - A fixed path (VMW_SCRIPTS_DIR/vm-cleanup.sh) and arguments from an allow-list, through
//   execFile-style spawn without a shell: nothing from a request reaches argv but the enum.
// - VMW_SCRIPT_RUNNER=nsenter runs it in the host's namespaces from a container:
//   nsenter --target 1 --mount --uts --ipc --net --pid -- <script> <args>
//   (compose: `pid: host`, `privileged: true` or cap_add SYS_ADMIN + SYS_PTRACE + SYS_CHROOT;
//   see docs/maintenance.md).
// - One run at a time: the app's own run, or anyone holding the script's flock (cron). A
//   probe with `flock -n` answers before starting; the script's own exit 75 covers the race.
// - The script's stdout lines become typed progress events; steps start in the order the
//   script runs them (docs/scripts.md), so "step N ended" means "step N+1 started".
import { execFile, spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { CleanupMode } from './crontab';
import type { RunEntry } from './run-history';
import { createEmitter } from '../emitter';
import { createLogger, type Logger } from '../log';

export type ScriptRunnerKind = 'direct' | 'nsenter';
export const CLEANUP_MODES = ['standard', 'weekly', 'full'] as const;

export const NSENTER_PREFIX = [
	'--target',
	'1',
	'--mount',
	'--uts',
	'--ipc',
	'--net',
	'--pid',
	'--'
] as const;

/** Steps per mode, in the order vm-cleanup.sh runs them. */
export const CLEANUP_STEPS: Record<CleanupMode, string[]> = {
	standard: ['docker_build_cache', 'docker_dangling_images', 'docker_container_logs'],
	weekly: [
		'docker_build_cache',
		'docker_dangling_images',
		'docker_container_logs',
		'docker_aged_images',
		'apt_cache',
		'pnpm_store',
		'cosmos_pglog'
	],
	full: [
		'docker_build_cache',
		'docker_dangling_images',
		'docker_container_logs',
		'docker_aged_images',
		'apt_cache',
		'pnpm_store',
		'cosmos_pglog',
		'journald_vacuum'
	]
};

/** The exact program and argument vector for a run; nothing else is ever executed. */
export function cleanupCommand({
	runner,
	scriptPath,
	mode,
	dryRun
}: {
	runner: ScriptRunnerKind;
	scriptPath: string;
	mode: CleanupMode;
	dryRun: boolean;
}): { file: string; args: string[] } {
	if (!CLEANUP_MODES.includes(mode)) throw new Error(`unknown mode ${String(mode)}`);
	const scriptArgs = [`--${mode}`, ...(dryRun ? ['--dry-run'] : [])];
	if (runner === 'nsenter')
		return { file: 'nsenter', args: [...NSENTER_PREFIX, scriptPath, ...scriptArgs] };
	return { file: scriptPath, args: scriptArgs };
}

/** `flock -n -E 75 LOCK true`: exit 75 when someone holds the lock (same runner as the script). */
export function lockProbeCommand({
	runner,
	lockFile
}: {
	runner: ScriptRunnerKind;
	lockFile: string;
}): { file: string; args: string[] } {
	const probe = ['-n', '-E', '75', lockFile, 'true'];
	if (runner === 'nsenter')
		return { file: 'nsenter', args: [...NSENTER_PREFIX, 'flock', ...probe] };
	return { file: 'flock', args: probe };
}

export type ProgressEvent =
	| {
			type: 'queued';
			runId: string;
			mode: CleanupMode;
			dryRun: boolean;
			actor: string;
			at: string;
			steps: string[];
	  }
	| { type: 'started'; runId: string; scriptRunId: string | null; at: string; line: string }
	| { type: 'step-start'; runId: string; name: string; index: number; total: number; at: string }
	| {
			type: 'step-end';
			runId: string;
			name: string;
			index: number;
			total: number;
			status: 'ok' | 'skipped' | 'failed';
			freedBytes: number;
			message: string;
			at: string;
	  }
	| { type: 'log'; runId: string; line: string; at: string }
	| { type: 'finished'; runId: string; at: string; line: string }
	| { type: 'record'; runId: string; record: RunEntry | null }
	| {
			type: 'end';
			runId: string;
			exitCode: number | null;
			signal: string | null;
			outcome: RunOutcome;
			at: string;
	  };

export type RunOutcome = 'ok' | 'partial' | 'failed' | 'held' | 'locked' | 'error';

const LINE_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z \[([^\]\s]+)\] (.*)$/;
const STEP_RE =
	/^([a-z0-9_]+)\s+(ok|skipped|failed)\s+(\d+(?:\.\d+)?) (B|KiB|MiB|GiB|TiB)\s{2}(.*)$/;
const UNITS: Record<string, number> = {
	B: 1,
	KiB: 1024,
	MiB: 1024 ** 2,
	GiB: 1024 ** 3,
	TiB: 1024 ** 4
};

/** Turns the script's stdout, line by line, into progress events. */
export function createProgressParser({
	runId,
	mode,
	now = () => new Date()
}: {
	runId: string;
	mode: CleanupMode;
	now?: () => Date;
}) {
	const steps = CLEANUP_STEPS[mode];
	let next = 0;
	return (line: string): ProgressEvent[] => {
		const at = now().toISOString();
		const m = LINE_RE.exec(line);
		if (!m) return [{ type: 'log', runId, line: line.slice(0, 2000), at }];
		const msg = m[2];
		if (/^vm-cleanup \w+( \(dry run\))? started on /.test(msg)) {
			const out: ProgressEvent[] = [{ type: 'started', runId, scriptRunId: m[1], at, line: msg }];
			if (steps.length)
				out.push({ type: 'step-start', runId, name: steps[0], index: 0, total: steps.length, at });
			return out;
		}
		if (/^vm-cleanup \w+ finished: /.test(msg)) return [{ type: 'finished', runId, at, line: msg }];
		const s = STEP_RE.exec(msg);
		if (s && s[1] === steps[next]) {
			const out: ProgressEvent[] = [
				{
					type: 'step-end',
					runId,
					name: s[1],
					index: next,
					total: steps.length,
					status: s[2] as 'ok',
					freedBytes: Math.round(Number(s[3]) * UNITS[s[4]]),
					message: s[5].trim(),
					at
				}
			];
			next += 1;
			if (next < steps.length)
				out.push({
					type: 'step-start',
					runId,
					name: steps[next],
					index: next,
					total: steps.length,
					at
				});
			return out;
		}
		return [{ type: 'log', runId, line: msg.slice(0, 2000), at }];
	};
}

export function outcomeOf(exitCode: number | null): RunOutcome {
	switch (exitCode) {
		case 0:
			return 'ok';
		case 1:
			return 'partial';
		case 2:
			return 'failed';
		case 75:
			return 'locked';
		default:
			return 'error';
	}
}

export class RunConflictError extends Error {}
export class ScriptMissingError extends Error {}

export interface ActiveRun {
	runId: string;
	mode: CleanupMode;
	dryRun: boolean;
	actor: string;
	startedAt: string;
	events: ProgressEvent[];
	done: boolean;
}

export interface CleanupRunnerOptions {
	scriptsDir: string;
	runner: ScriptRunnerKind;
	lockFile: string;
	/** Environment for the script (the app's, plus VMW_LOG_DIR and the lock file). */
	env: NodeJS.ProcessEnv;
	/** Reads the run record the script wrote (newest first) once it exits. */
	findRecord: (scriptRunId: string | null, startedAtMs: number) => Promise<RunEntry | null>;
	/** Who holds the lock when it is not us: from the newest start marker. */
	describeHolder: () => Promise<string>;
	maxRunMs?: number;
	log?: Logger;
}

export function createCleanupRunner(opts: CleanupRunnerOptions) {
	const scriptPath = path.resolve(opts.scriptsDir, 'vm-cleanup.sh');
	let active: ActiveRun | null = null;
	let last: ActiveRun | null = null;
	const listeners = createEmitter<ProgressEvent>({
		log: opts.log ?? createLogger('maintenance'),
		what: 'cleanup progress subscriber'
	});
	let seq = 0;

	function emit(run: ActiveRun, e: ProgressEvent) {
		run.events.push(e);
		if (run.events.length > 500) run.events.splice(1, run.events.length - 500); // keep 'queued'
		listeners.emit(e);
	}

	function run(cmd: { file: string; args: string[] }): Promise<number | null> {
		return new Promise((resolve) => {
			execFile(cmd.file, cmd.args, { timeout: 15_000, env: opts.env }, (err) => {
				if (!err) return resolve(0);
				const code = (err as NodeJS.ErrnoException & { code?: unknown }).code;
				resolve(typeof code === 'number' ? code : null);
			});
		});
	}

	return {
		scriptPath,
		active: () => active,
		last: () => last,
		subscribe(fn: (e: ProgressEvent) => void) {
			return listeners.on(fn);
		},

		async scriptState(): Promise<{ path: string; found: boolean; reason: string | null }> {
			if (opts.runner === 'nsenter')
				return {
					path: scriptPath,
					found: true,
					reason: 'runs in the host namespaces: checked when it runs'
				};
			try {
				await fsp.access(scriptPath, fsp.constants.X_OK);
				return { path: scriptPath, found: true, reason: null };
			} catch (err) {
				return {
					path: scriptPath,
					found: false,
					reason: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : 'not executable'
				};
			}
		},

		async lockHeld(): Promise<boolean> {
			if (opts.runner === 'direct') {
				try {
					await fsp.access(opts.lockFile);
				} catch {
					return false; // no lock file: nobody ever locked it
				}
			}
			return (await run(lockProbeCommand({ runner: opts.runner, lockFile: opts.lockFile }))) === 75;
		},

		/**
		 * Starts a run. Resolves once the script has started (its first line) with the app's
		 * run id and a promise of the outcome; rejects with RunConflictError when a run is
		 * active (ours or cron's) and ScriptMissingError when the script is not there.
		 */
		async start({
			mode,
			dryRun,
			actor
		}: {
			mode: CleanupMode;
			dryRun: boolean;
			actor: string;
		}): Promise<{
			runId: string;
			done: Promise<{ outcome: RunOutcome; exitCode: number | null; record: RunEntry | null }>;
		}> {
			if (active)
				throw new RunConflictError(
					`a ${active.dryRun ? 'dry run' : 'run'} (${active.mode}) started by ${active.actor} at ${active.startedAt} is still going`
				);
			const startedAtMs = Date.now();
			const runId = `app-${startedAtMs}-${++seq}`;
			const me: ActiveRun = {
				runId,
				mode,
				dryRun,
				actor,
				startedAt: new Date(startedAtMs).toISOString(),
				events: [],
				done: false
			};
			active = me; // claimed before any await, so a concurrent call conflicts
			try {
				const script = await this.scriptState();
				if (!script.found)
					throw new ScriptMissingError(`script ${script.reason} at ${script.path}`);
				if (await this.lockHeld())
					throw new RunConflictError(
						`the cleanup lock ${opts.lockFile} is held: ${await opts.describeHolder()}`
					);
			} catch (err) {
				active = null;
				throw err;
			}
			last = me;
			emit(me, {
				type: 'queued',
				runId,
				mode,
				dryRun,
				actor,
				at: me.startedAt,
				steps: CLEANUP_STEPS[mode]
			});

			const cmd = cleanupCommand({ runner: opts.runner, scriptPath, mode, dryRun });
			const child = spawn(cmd.file, cmd.args, {
				env: opts.env,
				stdio: ['ignore', 'pipe', 'pipe'],
				shell: false
			});
			const parse = createProgressParser({ runId, mode });
			let scriptRunId: string | null = null;
			let stderrTail = '';
			let firstLine: () => void = () => {};
			const started = new Promise<void>((resolve) => (firstLine = resolve));
			createInterface({ input: child.stdout }).on('line', (line) => {
				for (const e of parse(line)) {
					if (e.type === 'started') scriptRunId = e.scriptRunId;
					emit(me, e);
				}
				firstLine();
			});
			child.stderr.on(
				'data',
				(d: Buffer) => (stderrTail = (stderrTail + d.toString('utf8')).slice(-2000))
			);
			const timer = setTimeout(() => child.kill('SIGTERM'), opts.maxRunMs ?? 60 * 60_000);
			let hasExited = false;
			const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
				child.on('error', (err) => {
					stderrTail += String(err.message);
					hasExited = true;
					resolve({ code: null, signal: null });
				});
				child.on('close', (code, signal) => {
					hasExited = true;
					resolve({ code, signal });
				});
			});

			const done = exited.then(async ({ code, signal }) => {
				clearTimeout(timer);
				const outcome = outcomeOf(code);
				const record =
					outcome === 'locked' || (outcome === 'error' && scriptRunId === null)
						? null
						: await opts.findRecord(scriptRunId, startedAtMs).catch(() => null);
				const finalOutcome: RunOutcome = record?.status === 'held' ? 'held' : outcome;
				if (stderrTail.trim() && finalOutcome !== 'ok')
					emit(me, {
						type: 'log',
						runId,
						line: stderrTail.trim().split('\n').slice(-5).join('\n'),
						at: new Date().toISOString()
					});
				emit(me, { type: 'record', runId, record });
				emit(me, {
					type: 'end',
					runId,
					exitCode: code,
					signal,
					outcome: finalOutcome,
					at: new Date().toISOString()
				});
				me.done = true;
				if (active === me) active = null;
				return { outcome: finalOutcome, exitCode: code, record, stderr: stderrTail };
			});

			await Promise.race([started, exited]);
			if (hasExited) {
				const result = await done;
				if (result.outcome === 'locked')
					throw new RunConflictError(
						`the cleanup lock ${opts.lockFile} is held: ${result.stderr.trim() || (await opts.describeHolder())}`
					);
			}
			return { runId, done };
		}
	};
}

export type CleanupRunner = ReturnType<typeof createCleanupRunner>;
