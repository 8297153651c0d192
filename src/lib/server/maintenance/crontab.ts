// Crontab parsing (pure: text in, jobs out). Follows crontab(5) as Debian's cron and cronie
// read it:
// - a user crontab has `m h dom mon dow command`; /etc/crontab and /etc/cron.d/* have a user
//   column: `m h dom mon dow user command` (`kind: 'system'`);
// - `NAME = value` lines set the environment of the jobs below them (quotes stripped);
//   CRON_TZ sets the time zone the following schedules are read in (cronie semantics; UTC
//   when unset, or the configured default);
// - @reboot, @yearly/@annually, @monthly, @weekly, @daily/@midnight, @hourly;
// - fields: `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists, and the names
//   jan..dec / sun..sat (case-insensitive; day of week 0 and 7 are both Sunday);
// - in the command an unescaped `%` ends the command; the rest is the job's stdin with every
//   further `%` a newline; `\%` is a literal `%`;
// - `# <a valid job line>` is a commented-out job: listed as disabled, never dropped;
// - `# vmwarden-maintenance BEGIN` / `END` (and the legacy `bytelyst-vm-maintenance`) mark
//   the managed block written by scripts/install-cron.sh.
// A line that is none of these is returned in `invalid` with the reason.
import { CronExpressionParser } from 'cron-parser';
import cronstrue from 'cronstrue';

export type CrontabKind = 'user' | 'system';
export type ManagedBlock = 'vmwarden-maintenance' | 'bytelyst-vm-maintenance';
export type CleanupMode = 'standard' | 'weekly' | 'full';

export interface CronJob {
	/** Unique within one parse: the cron-run.sh job name, or one derived from the command. */
	name: string;
	/** File the job came from. */
	source: string;
	/** 1-based line number in that file. */
	line: number;
	raw: string;
	enabled: boolean;
	/** As written: `30 3 * * 1-6` or `@daily`. */
	schedule: string;
	/** Five fields for cron-parser; null for @reboot. */
	expression: string | null;
	/** The user column of a system crontab; null in a user crontab. */
	user: string | null;
	/** The command as cron hands it to the shell (before the first unescaped %). */
	command: string;
	/** Text after the first unescaped %, with % turned into newlines; null when none. */
	stdin: string | null;
	/** IANA time zone the schedule is read in. */
	tz: string;
	/** The managed block the line sits in, if any. */
	managed: ManagedBlock | null;
	/** true when the command runs through cron-run.sh (its runs are recorded). */
	wrapped: boolean;
	/** The vm-cleanup.sh mode this job runs, if it runs vm-cleanup.sh. */
	cleanupMode: CleanupMode | null;
	/** "At 03:30, Monday through Saturday, UTC". */
	description: string;
	/** Things cron itself may read differently (e.g. names in a range on Debian's cron). */
	warnings: string[];
}

export interface CrontabEnv {
	line: number;
	name: string;
	value: string;
}

export interface CrontabInvalidLine {
	line: number;
	raw: string;
	reason: string;
}

export interface ParsedCrontab {
	source: string;
	kind: CrontabKind;
	jobs: CronJob[];
	env: CrontabEnv[];
	invalid: CrontabInvalidLine[];
	/** Managed blocks found: their marker lines (end null when the block is not closed). */
	blocks: { name: ManagedBlock; begin: number; end: number | null }[];
	/** Every line's classification, so a test can check that nothing is dropped. */
	lines: { line: number; kind: 'blank' | 'comment' | 'env' | 'job' | 'disabled-job' | 'block-marker' | 'invalid' }[];
}

export interface ParseCrontabOptions {
	source: string;
	kind?: CrontabKind;
	/** Time zone when the crontab sets no CRON_TZ (the cron daemon's). Default UTC. */
	defaultTz?: string;
}

const MACROS: Record<string, string | null> = {
	'@reboot': null,
	'@yearly': '0 0 1 1 *',
	'@annually': '0 0 1 1 *',
	'@monthly': '0 0 1 * *',
	'@weekly': '0 0 * * 0',
	'@daily': '0 0 * * *',
	'@midnight': '0 0 * * *',
	'@hourly': '0 * * * *'
};

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const FIELDS = [
	{ name: 'minute', min: 0, max: 59, names: null },
	{ name: 'hour', min: 0, max: 23, names: null },
	{ name: 'day of month', min: 1, max: 31, names: null },
	{ name: 'month', min: 1, max: 12, names: MONTHS },
	{ name: 'day of week', min: 0, max: 7, names: DAYS }
] as const;

const MAX_LINE_CHARS = 8192;

/** Checks one field; returns the problem or null, and notes names used in ranges or lists. */
function fieldProblem(text: string, f: (typeof FIELDS)[number], warnings: string[]): string | null {
	const value = (tok: string): number | null => {
		if (/^\d+$/.test(tok)) return Number(tok);
		if (f.names) {
			const i = (f.names as readonly string[]).indexOf(tok.toLowerCase());
			if (i >= 0) return f.names === MONTHS ? i + 1 : i;
		}
		return null;
	};
	const items = text.split(',');
	let namedInCompound = false;
	for (const item of items) {
		const m = /^([^/]+)(?:\/(.*))?$/.exec(item);
		if (!m) return `${f.name} "${text}": empty list item`;
		const [, range, step] = m;
		if (step !== undefined && !/^\d+$/.test(step)) return `${f.name} "${text}": step "${step}" is not a number`;
		if (step !== undefined && Number(step) === 0) return `${f.name} "${text}": step 0`;
		if (range === '*') continue;
		const bounds = range.split('-');
		if (bounds.length > 2) return `${f.name} "${text}": "${range}" is not a range`;
		const nums = bounds.map(value);
		for (let i = 0; i < bounds.length; i++) {
			const n = nums[i];
			if (n === null) return `${f.name} "${text}": "${bounds[i]}" is not a number${f.names ? ' or a name' : ''}`;
			if (n < f.min || n > f.max) return `${f.name} "${text}": ${bounds[i]} is outside ${f.min}-${f.max}`;
			if (!/^\d+$/.test(bounds[i]) && (bounds.length > 1 || items.length > 1)) namedInCompound = true;
		}
		if (bounds.length === 2 && nums[0]! > nums[1]!) return `${f.name} "${text}": range ${range} runs backwards`;
		if (bounds.length === 1 && step !== undefined) {
			// Vixie cron reads `5/10` as `5-max/10`; cronie refuses it. Accept, as cron-parser does.
		}
	}
	if (namedInCompound) warnings.push(`${f.name} "${text}": Debian's cron allows names only as single values, not in ranges or lists`);
	return null;
}

export function isValidTimeZone(tz: string): boolean {
	if (!tz || tz.length > 64) return false;
	try {
		new Intl.DateTimeFormat('en', { timeZone: tz });
		return true;
	} catch {
		return false;
	}
}

/** Splits the command at the first unescaped %: command (with \% unescaped) and stdin. */
export function splitPercent(text: string): { command: string; stdin: string | null } {
	let command = '';
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (c === '\\' && text[i + 1] === '%') {
			command += '%';
			i++;
		} else if (c === '%') {
			const rest = text.slice(i + 1).replace(/\\%|%/g, (m) => (m === '%' ? '\n' : '%'));
			return { command, stdin: rest };
		} else command += c;
	}
	return { command, stdin: null };
}

/** Name for a job: cron-run.sh's JOB, a vm-cleanup/health-check name, or the program's. */
export function deriveJobName(command: string): { name: string; wrapped: boolean; cleanupMode: CleanupMode | null } {
	const cleanup = /(?:^|[\s/])vm-cleanup\.sh(?=\s|$)(.*)$/.exec(command);
	const cleanupMode: CleanupMode | null = cleanup ? ((/--(standard|weekly|full)\b/.exec(cleanup[1])?.[1] as CleanupMode | undefined) ?? 'standard') : null;
	const wrapped = /(?:^|[\s/])cron-run\.sh\s+(\S+)\s+--(?=\s)/.exec(command);
	if (wrapped) return { name: wrapped[1], wrapped: true, cleanupMode };
	if (cleanupMode) return { name: `cleanup-${cleanupMode}`, wrapped: false, cleanupMode };
	if (/(?:^|[\s/])vm-health-check\.sh(?=\s|$)/.test(command)) return { name: 'health-check', wrapped: false, cleanupMode };
	const segments = command.split(/&&|\|\||;|\|/).map((s) => s.trim().split(/\s+/).filter(Boolean));
	const wrappers = new Set(['env', 'nice', 'ionice', 'nohup', 'time', 'sudo', 'chronic', 'exec']);
	for (const tokens of segments) {
		if (tokens.length === 0 || tokens[0] === 'cd') continue;
		// Skip assignments and wrappers with their options: `nice -n 10`, `timeout 60`, `flock -n FILE`.
		let i = 0;
		let operand = 0; // non-option words the current wrapper takes before the command
		while (i < tokens.length) {
			const t = tokens[i];
			const base = t.split('/').pop() ?? t;
			if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(t) || wrappers.has(base)) i++;
			else if (base === 'timeout' || base === 'flock') {
				operand = 1;
				i++;
			} else if (t.startsWith('-')) i++;
			else if (operand > 0) {
				operand--;
				i++;
			} else if (/^\d+$/.test(t)) i++;
			else break;
		}
		const prog = tokens[i];
		if (!prog) continue;
		const base = (prog.split('/').pop() ?? prog).replace(/\.(sh|bash|py|js|mjs|pl|rb)$/, '');
		const slug = base.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
		if (slug) return { name: slug.slice(0, 64), wrapped: false, cleanupMode };
	}
	return { name: 'job', wrapped: false, cleanupMode };
}

/** "At 03:30, Monday through Saturday, UTC" (cronstrue, 24-hour clock, plus the zone). */
export function describeSchedule(schedule: string, tz: string): string {
	if (schedule === '@reboot') return 'At system start-up';
	const expression = MACROS[schedule] ?? schedule;
	try {
		return `${cronstrue.toString(expression, { use24HourTimeFormat: true, throwExceptionOnParseError: true })}, ${tz}`;
	} catch {
		return `${schedule}, ${tz}`;
	}
}

type JobLine = Omit<CronJob, 'name' | 'source' | 'line' | 'raw' | 'enabled' | 'managed' | 'wrapped' | 'cleanupMode' | 'description'> & { derived: ReturnType<typeof deriveJobName> };

/** Parses the text of a job line (without any leading '#'); returns the job or the reason it is not one. */
function parseJobLine(text: string, kind: CrontabKind, tz: string): { job: JobLine } | { reason: string } {
	const warnings: string[] = [];
	let rest: string;
	let schedule: string;
	let expression: string | null;
	const macro = /^(@[a-z]+)(?:\s+|$)(.*)$/i.exec(text);
	if (macro) {
		const key = macro[1].toLowerCase();
		if (!(key in MACROS)) return { reason: `unknown macro ${macro[1]}` };
		schedule = key;
		expression = MACROS[key];
		rest = macro[2];
	} else {
		const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(text);
		if (!m) return { reason: 'fewer than five schedule fields' };
		const fields = m.slice(1, 6);
		for (let i = 0; i < 5; i++) {
			const problem = fieldProblem(fields[i], FIELDS[i], warnings);
			if (problem) return { reason: problem };
		}
		schedule = fields.join(' ');
		expression = schedule;
		rest = m[6] ?? '';
		try {
			CronExpressionParser.parse(expression, { tz });
		} catch (err) {
			return { reason: `schedule "${schedule}": ${(err as Error).message}` };
		}
	}
	let user: string | null = null;
	if (kind === 'system') {
		const u = /^(\S+)(?:\s+(.*))?$/.exec(rest);
		if (!u) return { reason: 'no user column (system crontab: m h dom mon dow user command)' };
		if (!/^[a-z_][a-z0-9_.-]*\$?$/i.test(u[1])) return { reason: `"${u[1]}" is not a user name` };
		user = u[1];
		rest = u[2] ?? '';
	}
	if (rest.trim() === '') return { reason: 'no command' };
	const { command, stdin } = splitPercent(rest);
	if (command.trim() === '') return { reason: 'empty command before %' };
	return { job: { schedule, expression, user, command: command.trim(), stdin, tz, warnings, derived: deriveJobName(command) } };
}

const ENV_RE = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;
const BLOCK_RE = /^#\s*(vmwarden-maintenance|bytelyst-vm-maintenance)\s+(BEGIN|END)(?:\s|$)/;

function unquote(value: string): string {
	const v = value.trim();
	if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.at(-1) === v[0]) return v.slice(1, -1);
	return v;
}

/** Parse one crontab's text. Never throws; every line is classified. */
export function parseCrontab(text: string, { source, kind = 'user', defaultTz = 'UTC' }: ParseCrontabOptions): ParsedCrontab {
	const jobs: CronJob[] = [];
	const env: CrontabEnv[] = [];
	const invalid: CrontabInvalidLine[] = [];
	const blocks: ParsedCrontab['blocks'] = [];
	const lines: ParsedCrontab['lines'] = [];
	let tz = defaultTz;
	let open: ParsedCrontab['blocks'][number] | null = null;

	const rows = text.split('\n');
	if (rows.at(-1) === '') rows.pop();
	rows.forEach((rawLine, i) => {
		const line = i + 1;
		const raw = rawLine.replace(/\r$/, '');
		const trimmed = raw.trim();
		const bad = (reason: string) => {
			invalid.push({ line, raw: raw.slice(0, 500), reason });
			lines.push({ line, kind: 'invalid' });
		};
		if (raw.length > MAX_LINE_CHARS) return bad(`line longer than ${MAX_LINE_CHARS} characters`);
		if (trimmed === '') return void lines.push({ line, kind: 'blank' });

		const marker = BLOCK_RE.exec(trimmed);
		if (marker) {
			const name = marker[1] as ManagedBlock;
			if (marker[2] === 'BEGIN') {
				if (open) bad(`${name} BEGIN inside an open ${open.name} block (line ${open.begin})`);
				else {
					open = { name, begin: line, end: null };
					blocks.push(open);
					lines.push({ line, kind: 'block-marker' });
				}
			} else if (!open || open.name !== name) bad(`${name} END without BEGIN`);
			else {
				open.end = line;
				open = null;
				lines.push({ line, kind: 'block-marker' });
			}
			return;
		}

		const addJob = (text: string, enabled: boolean): boolean => {
			const parsed = parseJobLine(text, kind, tz);
			if ('reason' in parsed) return false;
			const { derived, ...job } = parsed.job;
			jobs.push({
				...job,
				name: derived.name,
				source,
				line,
				raw,
				enabled,
				managed: open?.name ?? null,
				wrapped: derived.wrapped,
				cleanupMode: derived.cleanupMode,
				description: describeSchedule(job.schedule, tz)
			});
			lines.push({ line, kind: enabled ? 'job' : 'disabled-job' });
			return true;
		};

		if (trimmed.startsWith('#')) {
			const inner = trimmed.replace(/^#+\s*/, '');
			// A comment is a disabled job only when it reads as a full job line.
			// Schedules start with a digit, * or @ (names only appear in the last two fields).
			if (/^[\d*@]/.test(inner) && addJob(inner, false)) return;
			return void lines.push({ line, kind: 'comment' });
		}

		const envMatch = ENV_RE.exec(trimmed);
		if (envMatch) {
			const [, name, rawValue] = envMatch;
			const value = unquote(rawValue);
			if (name === 'CRON_TZ' || name === 'TZ') {
				if (!isValidTimeZone(value)) return bad(`${name}=${value}: unknown time zone`);
				if (name === 'CRON_TZ') tz = value;
			}
			env.push({ line, name, value });
			return void lines.push({ line, kind: 'env' });
		}

		const parsed = parseJobLine(trimmed, kind, tz);
		if ('reason' in parsed) return bad(parsed.reason);
		addJob(trimmed, true);
	});
	if (open) {
		const o = open as ParsedCrontab['blocks'][number];
		invalid.push({ line: o.begin, raw: rows[o.begin - 1] ?? '', reason: `${o.name} BEGIN without END` });
	}
	return { source, kind, jobs, env, invalid, blocks, lines };
}

/** Make job names unique across several crontabs: the second `curl` becomes `curl-2`. */
export function uniqueJobNames<T extends { name: string }>(jobs: T[]): T[] {
	const seen = new Map<string, number>();
	return jobs.map((job) => {
		const n = (seen.get(job.name) ?? 0) + 1;
		seen.set(job.name, n);
		return n === 1 ? job : { ...job, name: `${job.name}-${n}` };
	});
}

// cron-parser costs about a millisecond per question; a status call asks two per job. For
// one schedule, the previous and next runs stay the same while prev <= now < next, so the
// answer is kept until now leaves that window.
const windows = new Map<string, { prev: number; next: number }>();

function windowFor(expression: string, tz: string, now: Date): { prev: number; next: number } {
	const key = `${tz} ${expression}`;
	const t = now.getTime();
	const hit = windows.get(key);
	if (hit && hit.prev <= t && t < hit.next) return hit;
	// prev() is strictly before currentDate: step a millisecond past now so a run due exactly now counts.
	const prev = CronExpressionParser.parse(expression, { tz, currentDate: new Date(t + 1) }).prev().getTime();
	const next = CronExpressionParser.parse(expression, { tz, currentDate: now }).next().getTime();
	const w = { prev, next };
	if (windows.size > 1000) windows.clear();
	windows.set(key, w);
	return w;
}

/** The next run after `now` in the job's time zone; null for @reboot or disabled jobs. */
export function nextRun(job: Pick<CronJob, 'expression' | 'tz' | 'enabled'>, now: Date): Date | null {
	if (!job.expression || !job.enabled) return null;
	return new Date(windowFor(job.expression, job.tz, now).next);
}

/** The latest scheduled time at or before `now` (what should have run last); null for @reboot. */
export function previousRun(job: Pick<CronJob, 'expression' | 'tz'>, now: Date): Date | null {
	if (!job.expression) return null;
	return new Date(windowFor(job.expression, job.tz, now).prev);
}

const SHELL_META = /[|&;<>()$`\\"'*?[\]#~=!{}\n]/;

/**
 * The same crontab line with its command wrapped in cron-run.sh, so its runs get recorded.
 * Trailing output redirections stay outside (cron-run.sh passes the output through); a
 * command that needs the shell runs as `/bin/sh -c '…'` because cron-run.sh runs argv as is.
 */
export function wrapSuggestion(job: Pick<CronJob, 'raw' | 'name' | 'enabled' | 'user' | 'schedule'>, cronRunPath: string): string {
	const raw = job.enabled ? job.raw.trim() : job.raw.trim().replace(/^#+\s*/, '');
	// Schedule (and user column) exactly as written, then the wrapped command, then any % part.
	const headRe = job.schedule.startsWith('@') ? /^@\S+\s+/ : /^(?:\S+\s+){5}/;
	let head = headRe.exec(raw)?.[0] ?? '';
	if (job.user) head += /^\S+\s+/.exec(raw.slice(head.length))?.[0] ?? '';
	const percent = splitPercentRaw(raw.slice(head.length));
	const redirect = /(?:\s+(?:\d?>>?|&>>?)\s*\S+)+$/.exec(percent.command);
	const body = redirect ? percent.command.slice(0, redirect.index) : percent.command;
	const tail = redirect ? redirect[0].trim() : '';
	const needsShell = SHELL_META.test(body.replace(/\\%/g, ''));
	const cmd = needsShell ? `/bin/sh -c '${body.trim().replace(/'/g, `'\\''`)}'` : body.trim();
	return `${head}${cronRunPath} ${job.name} -- ${cmd}${tail ? ` ${tail}` : ''}${percent.rest}`;
}

function splitPercentRaw(text: string): { command: string; rest: string } {
	for (let i = 0; i < text.length; i++) {
		if (text[i] === '\\' && text[i + 1] === '%') i++;
		else if (text[i] === '%') return { command: text.slice(0, i), rest: text.slice(i) };
	}
	return { command: text, rest: '' };
}
