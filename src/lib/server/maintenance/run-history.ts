// Run history of cron jobs, newest first, from the files the host scripts write in
// VMW_LOG_DIR (docs/scripts.md):
//   vmwarden-cron.jsonl  one line per run of a job wrapped by cron-run.sh
//   vm-cleanup.jsonl     start marker + run record per vm-cleanup.sh run
//   vm-cleanup.log       the classic text log, read only for runs older than the JSON
//                        records (format: cleanup-log.ts)
// with their rotations (`.1` plain because of delaycompress, `.2.gz` … `.8.gz`). Files are
// read backwards from the end; a .gz is unpacked only when the reader gets that far. Every
// file is opened through fs/safe-path inside the log directory. Malformed lines are skipped
// and counted. A page ends with an opaque cursor; a rotation between two pages shifts the
// files under it (the next page may then repeat or skip a few runs).
import type { FileHandle } from 'node:fs/promises';
import {
	cleanupRunRecordSchema,
	cleanupStartMarkerSchema,
	type CleanupRunRecord,
	type CleanupStep
} from './cleanup-record';
import { createClassicAssembler, type ClassicRun } from './cleanup-log';
import { cronRunRecordSchema, type CronRunRecord } from './cron-record';
import type { CleanupMode } from './crontab';
import { gunzipLines, readLineBatchesBackward, type BackwardLine } from './reverse-lines';
import { listInside, openInside, SafePathError } from '../fs/safe-path';

export const HISTORY_FILES = {
	cron: 'vmwarden-cron.jsonl',
	cleanup: 'vm-cleanup.jsonl',
	cleanupLog: 'vm-cleanup.log'
} as const;

export type RunStatus = 'ok' | 'partial' | 'failed' | 'held' | 'interrupted' | 'pending';

export interface RunEntry {
	/** cleanup: the runId; cron: `<job>@<start>` */
	id: string;
	source: 'cron' | 'cleanup' | 'cleanup-log';
	/** cron-run.sh's job name; null for cleanup records (they carry a mode instead). */
	job: string | null;
	start: string;
	end: string | null;
	durationMs: number | null;
	exitCode: number | null;
	/** pending: a start marker with nothing after it (running, or killed: check the lock). */
	status: RunStatus;
	mode: CleanupMode | null;
	dryRun: boolean | null;
	freedBytes: number | null;
	message: string | null;
	outputTail: string | null;
	steps:
		| (Pick<CleanupStep, 'name' | 'status' | 'freedBytes' | 'message'> & { durationMs?: number })[]
		| null;
	diskBefore: CleanupRunRecord['diskBefore'] | null;
	diskAfter: CleanupRunRecord['diskAfter'] | null;
	pid: number | null;
	/** File and, for plain files, the byte offset just past the line. */
	file: string;
}

export interface FileState {
	name: string;
	state: 'ok' | 'not-found' | 'not-readable';
	reason: string | null;
}

export interface HistoryStats {
	/** Lines that are not valid records, in what was read. */
	malformed: number;
	/** Last lines still being written (no newline yet), skipped. */
	incomplete: number;
	/** Files that could not be read (not found is normal for rotations and is not listed). */
	unreadable: FileState[];
	/** Whether each base file exists (for "history file not found at <path>"). */
	found: Record<'cron' | 'cleanup' | 'cleanupLog', boolean>;
}

// ------------------------------------------------------------------ file sets and line streams

interface Pos {
	f: string;
	/** set on a cleanup start marker that is the newest line (a pending run) */
	p?: true;
	/** plain: byte end offset to resume from; gz: number of lines (from the start) to resume under */
	o: number;
}

/** The base file and its rotations, newest first: x, x.1, x.1.gz, x.2, x.2.gz, … */
export function rotationsOf(base: string, names: string[]): string[] {
	const esc = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
	const re = new RegExp(`^${esc}(?:\\.(\\d{1,3}))?(\\.gz)?$`);
	return names
		.map((n) => ({ n, m: re.exec(n) }))
		.filter(
			(x): x is { n: string; m: RegExpExecArray } =>
				x.m !== null && !(x.m[1] === undefined && x.m[2] !== undefined)
		)
		.sort(
			(a, b) => Number(a.m[1] ?? 0) - Number(b.m[1] ?? 0) || (a.m[2] ? 1 : 0) - (b.m[2] ? 1 : 0)
		)
		.map((x) => x.n);
}

class LineStream {
	private index = 0;
	private handle: FileHandle | null = null;
	private iter: AsyncGenerator<BackwardLine[]> | null = null;
	private batch: BackwardLine[] = [];
	private at = 0;
	private gz: { lines: string[]; at: number } | null = null;
	private startPos: Pos | null;
	done = false;

	constructor(
		private readonly dir: string,
		private readonly files: string[],
		start: Pos | null,
		private readonly stats: HistoryStats
	) {
		this.startPos = start;
		if (start) {
			const i = files.indexOf(start.f);
			if (i < 0) this.done = true;
			else this.index = i;
		}
		if (files.length === 0) this.done = true;
	}

	/** The next line (newest first) and the position that yields it again. */
	async next(): Promise<{ text: string; pos: Pos } | null> {
		while (!this.done) {
			const name = this.files[this.index];
			if (this.gz) {
				if (this.gz.at > 0) {
					this.gz.at -= 1;
					return { text: this.gz.lines[this.gz.at], pos: { f: name, o: this.gz.at + 1 } };
				}
				this.gz = null;
				this.advance();
				continue;
			}
			if (this.iter) {
				if (this.at < this.batch.length) {
					const l = this.batch[this.at++];
					return { text: l.text, pos: { f: name, o: l.end } };
				}
				const r = await this.iter.next();
				if (!r.done) {
					this.batch = r.value;
					this.at = 0;
					continue;
				}
				await this.closeFile();
				this.advance();
				continue;
			}
			await this.openFile(name);
		}
		return null;
	}

	private advance() {
		this.index += 1;
		this.startPos = null;
		if (this.index >= this.files.length) this.done = true;
	}

	private async openFile(name: string) {
		const resume = this.startPos?.f === name ? this.startPos.o : null;
		try {
			const { handle, size } = await openInside(this.dir, name);
			if (name.endsWith('.gz')) {
				try {
					const lines = await gunzipLines(handle);
					this.gz = { lines, at: resume === null ? lines.length : Math.min(resume, lines.length) };
				} finally {
					await handle.close();
				}
				return;
			}
			this.handle = handle;
			this.batch = [];
			this.at = 0;
			this.iter = readLineBatchesBackward(handle, {
				endOffset: resume === null ? size : Math.min(resume, size),
				onIncomplete: () => (this.stats.incomplete += 1)
			});
		} catch (err) {
			if (!(err instanceof SafePathError && err.reason === 'not-found'))
				this.stats.unreadable.push({
					name,
					state: 'not-readable',
					reason: err instanceof Error ? err.message : String(err)
				});
			this.advance();
		}
	}

	private async closeFile() {
		this.iter = null;
		const h = this.handle;
		this.handle = null;
		await h?.close();
	}

	async close() {
		await this.iter?.return(undefined);
		await this.closeFile();
		this.done = true;
	}
}

// ------------------------------------------------------------------ entry streams

interface EntrySource {
	peek(): Promise<{ entry: RunEntry; pos: Pos } | null>;
	take(): void;
	close(): Promise<void>;
}

function cronEntry(r: CronRunRecord, file: string): RunEntry {
	return {
		id: `${r.job}@${r.start}`,
		source: 'cron',
		job: r.job,
		start: r.start,
		end: r.end,
		durationMs: r.durationMs,
		exitCode: r.exitCode,
		status: r.exitCode === 0 ? 'ok' : 'failed',
		mode: null,
		dryRun: null,
		freedBytes: null,
		message:
			r.exitCode === 75
				? 'another run held the lock (exit 75)'
				: r.exitCode === 0
					? null
					: `exit ${r.exitCode}`,
		outputTail: r.outputTail,
		steps: null,
		diskBefore: null,
		diskAfter: null,
		pid: null,
		file
	};
}

function cleanupEntry(r: CleanupRunRecord, file: string): RunEntry {
	return {
		id: r.runId,
		source: 'cleanup',
		job: null,
		start: r.ts,
		end: new Date(Date.parse(r.ts) + r.durationMs).toISOString(),
		durationMs: r.durationMs,
		exitCode: null,
		status: r.status,
		mode: r.mode,
		dryRun: r.dryRun,
		freedBytes: r.freedBytes,
		message: r.message ?? null,
		outputTail: null,
		steps: r.steps,
		diskBefore: r.diskBefore,
		diskAfter: r.diskAfter,
		pid: null,
		file
	};
}

function classicEntry(r: ClassicRun, file: string): RunEntry {
	return {
		id: r.runId,
		source: 'cleanup-log',
		job: null,
		start: r.ts,
		end: null,
		durationMs: null,
		exitCode: null,
		status: r.status,
		mode: r.mode,
		dryRun: r.dryRun,
		freedBytes: r.freedBytes,
		message: r.message,
		outputTail: null,
		steps: r.steps,
		diskBefore: null,
		diskAfter: null,
		pid: null,
		file
	};
}

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

/** vmwarden-cron.jsonl records. */
function cronSource(lines: LineStream, stats: HistoryStats): EntrySource {
	let head: { entry: RunEntry; pos: Pos } | null | undefined;
	return {
		async peek() {
			while (head === undefined) {
				const line = await lines.next();
				if (!line) {
					head = null;
					break;
				}
				if (line.text.trim() === '') continue;
				const parsed = cronRunRecordSchema.safeParse(parseJson(line.text));
				if (!parsed.success) stats.malformed += 1;
				else head = { entry: cronEntry(parsed.data, line.pos.f), pos: line.pos };
			}
			return head;
		},
		take: () => void (head = undefined),
		close: () => lines.close()
	};
}

/**
 * vm-cleanup.jsonl records and unmatched start markers, then (when those run out) the
 * classic log's runs older than the oldest JSON record.
 */
function cleanupSource(
	json: LineStream,
	classic: () => LineStream,
	stats: HistoryStats,
	fromTop: boolean,
	startInClassic: Pos | null
): EntrySource {
	let head: { entry: RunEntry; pos: Pos & { k?: 'log' } } | null | undefined;
	let lastRecordRunId: string | null = null;
	let first = fromTop;
	let oldestJsonMs = Infinity;
	const jsonRunIds = new Set<string>();
	let log: LineStream | null = startInClassic ? classic() : null;
	const assembler = createClassicAssembler();
	let runHeadPos: Pos | null = null;
	if (startInClassic) json.done = true;

	async function nextFromJson(): Promise<{ entry: RunEntry; pos: Pos } | null> {
		for (;;) {
			const line = await json.next();
			if (!line) return null;
			if (line.text.trim() === '') continue;
			const value = parseJson(line.text);
			const isStart =
				typeof value === 'object' &&
				value !== null &&
				(value as { event?: unknown }).event === 'start';
			if (isStart) {
				const m = cleanupStartMarkerSchema.safeParse(value);
				if (!m.success) {
					stats.malformed += 1;
					continue;
				}
				oldestJsonMs = Math.min(oldestJsonMs, Date.parse(m.data.ts));
				if (jsonRunIds.size < 100_000) jsonRunIds.add(m.data.runId);
				const matched = lastRecordRunId === m.data.runId;
				lastRecordRunId = null;
				const wasFirst = first;
				first = false;
				if (matched) continue;
				// Runs are serialised by flock: a marker followed by anything cannot still be running.
				return {
					entry: {
						...cleanupEntry(
							{
								runId: m.data.runId,
								ts: m.data.ts,
								mode: m.data.mode,
								dryRun: m.data.dryRun,
								diskBefore: null,
								diskAfter: null,
								freedBytes: 0,
								durationMs: 0,
								status: 'failed',
								steps: []
							},
							line.pos.f
						),
						end: null,
						durationMs: null,
						freedBytes: null,
						steps: null,
						status: wasFirst ? 'pending' : 'interrupted',
						message: wasFirst
							? 'started; no record yet'
							: 'started and never wrote its record (killed?)',
						pid: m.data.pid
					},
					// p: resuming here must still count the marker as the newest line (pending).
					pos: wasFirst ? { ...line.pos, p: true } : line.pos
				};
			}
			const r = cleanupRunRecordSchema.safeParse(value);
			first = false;
			if (!r.success) {
				stats.malformed += 1;
				continue;
			}
			lastRecordRunId = r.data.runId;
			if (jsonRunIds.size < 100_000) jsonRunIds.add(r.data.runId);
			oldestJsonMs = Math.min(oldestJsonMs, Date.parse(r.data.ts));
			return { entry: cleanupEntry(r.data, line.pos.f), pos: line.pos };
		}
	}

	async function nextFromLog(): Promise<{ entry: RunEntry; pos: Pos & { k: 'log' } } | null> {
		log ??= classic();
		for (;;) {
			const line = await log.next();
			if (!line) return null;
			runHeadPos ??= line.pos;
			const r = assembler.push(line.text);
			if (r === 'malformed') {
				stats.malformed += 1;
				continue;
			}
			if (r === null) continue;
			const pos = runHeadPos;
			runHeadPos = null;
			// Already in the JSON records (the log's times are whole seconds, the JSON's have ms).
			if (jsonRunIds.has(r.runId) || Date.parse(r.ts) >= Math.floor(oldestJsonMs / 1000) * 1000)
				continue;
			return { entry: classicEntry(r, line.pos.f), pos: { ...pos, k: 'log' } };
		}
	}

	return {
		async peek() {
			if (head !== undefined) return head;
			if (!json.done) {
				const j = await nextFromJson();
				if (j) return (head = j);
			}
			return (head = await nextFromLog());
		},
		take: () => void (head = undefined),
		close: async () => {
			await json.close();
			await log?.close();
		}
	};
}

// ------------------------------------------------------------------ cursor

interface CursorState {
	/** cron stream: position, or false when exhausted */
	c: Pos | false | null;
	/** cleanup stream: position (k: 'log' when inside the classic log), or false */
	k: (Pos & { k?: 'log' }) | false | null;
}

export function encodeCursor(c: CursorState): string {
	return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(s: string): CursorState | null {
	if (s.length > 2000) return null;
	try {
		const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as CursorState;
		const okPos = (p: unknown) =>
			p === null ||
			p === false ||
			(typeof p === 'object' &&
				typeof (p as Pos).f === 'string' &&
				Number.isInteger((p as Pos).o) &&
				(p as Pos).o >= 0 &&
				(p as Pos).f.length < 300);
		if (!okPos(v.c) || !okPos(v.k)) return null;
		const clean = (p: CursorState['k']) =>
			p
				? {
						f: p.f,
						o: p.o,
						...(p.k === 'log' ? { k: 'log' as const } : {}),
						...(p.p === true ? { p: true as const } : {})
					}
				: p;
		return { c: clean(v.c), k: clean(v.k) };
	} catch {
		return null;
	}
}

// ------------------------------------------------------------------ reading

export interface ReadHistoryOptions {
	logDir: string;
	/** Keep only entries for which this is true (does not stop the reading). */
	filter?: (e: RunEntry) => boolean;
	/** Stop reading when this returns true for an entry (it is not included). */
	stopAt?: (e: RunEntry) => boolean;
	/** Stop reading one stream (cron-run records, or cleanup records) once this returns true. */
	stopStream?: (stream: 'cron' | 'cleanup') => boolean;
	limit: number;
	cursor?: string | null;
	/** Which streams to read (default both). */
	streams?: { cron?: boolean; cleanup?: boolean };
}

export interface HistoryPage {
	entries: RunEntry[];
	nextCursor: string | null;
	stats: HistoryStats;
}

export class BadCursorError extends Error {}

/** Entries from both files merged newest first (by start time). */
export async function readHistory(opts: ReadHistoryOptions): Promise<HistoryPage> {
	const stats: HistoryStats = {
		malformed: 0,
		incomplete: 0,
		unreadable: [],
		found: { cron: false, cleanup: false, cleanupLog: false }
	};
	let names: string[] = [];
	try {
		names = await listInside(opts.logDir, '.');
	} catch (err) {
		stats.unreadable.push({
			name: opts.logDir,
			state:
				err instanceof SafePathError && err.reason === 'root-missing'
					? 'not-found'
					: 'not-readable',
			reason: (err as Error).message
		});
		return { entries: [], nextCursor: null, stats };
	}
	stats.found = {
		cron: names.includes(HISTORY_FILES.cron),
		cleanup: names.includes(HISTORY_FILES.cleanup),
		cleanupLog: names.includes(HISTORY_FILES.cleanupLog)
	};
	const cursor = opts.cursor ? decodeCursor(opts.cursor) : { c: null, k: null };
	if (!cursor) throw new BadCursorError('invalid cursor');
	const wantCron = opts.streams?.cron !== false;
	const wantCleanup = opts.streams?.cleanup !== false;

	const sources: { key: 'c' | 'k'; src: EntrySource }[] = [];
	if (wantCron && cursor.c !== false)
		sources.push({
			key: 'c',
			src: cronSource(
				new LineStream(opts.logDir, rotationsOf(HISTORY_FILES.cron, names), cursor.c, stats),
				stats
			)
		});
	if (wantCleanup && cursor.k !== false) {
		const k = cursor.k;
		const inLog = k && k.k === 'log' ? k : null;
		const json = new LineStream(
			opts.logDir,
			rotationsOf(HISTORY_FILES.cleanup, names),
			inLog ? null : k,
			stats
		);
		const classic = () =>
			new LineStream(opts.logDir, rotationsOf(HISTORY_FILES.cleanupLog, names), inLog, stats);
		sources.push({
			key: 'k',
			src: cleanupSource(json, classic, stats, k === null || (k && k.p === true), inLog)
		});
	}

	const entries: RunEntry[] = [];
	const state: CursorState = { c: wantCron ? cursor.c : false, k: wantCleanup ? cursor.k : false };
	let stopped = false;
	const dropped = new Set<'c' | 'k'>();
	try {
		while (entries.length < opts.limit) {
			let best: { key: 'c' | 'k'; src: EntrySource; entry: RunEntry; pos: Pos } | null = null;
			for (const s of sources) {
				if (dropped.has(s.key)) continue;
				if (opts.stopStream?.(s.key === 'c' ? 'cron' : 'cleanup')) {
					dropped.add(s.key);
					stopped = true;
					continue;
				}
				const h = await s.src.peek();
				if (!h) {
					state[s.key] = false;
					continue;
				}
				if (!best || h.entry.start > best.entry.start) best = { ...s, ...h };
			}
			if (!best) break;
			if (opts.stopAt?.(best.entry)) {
				stopped = true;
				break;
			}
			best.src.take();
			if (!opts.filter || opts.filter(best.entry)) entries.push(best.entry);
		}
		// The cursor points at each stream's next unread entry.
		for (const s of sources) {
			if (dropped.has(s.key)) {
				state[s.key] = false; // stopped on request: do not read (or unpack) further for a cursor
				continue;
			}
			const h = await s.src.peek();
			state[s.key] = h ? h.pos : false;
		}
	} finally {
		await Promise.all(sources.map((s) => s.src.close()));
	}
	const more = !stopped && (state.c !== false || state.k !== false);
	return { entries, nextCursor: more ? encodeCursor(state) : null, stats };
}
