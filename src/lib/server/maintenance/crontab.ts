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
// - `# <a valid job line>` is a commented-out job (`disabled-job`), unless it is one of the
//   examples Debian and Ubuntu ship in comments; crontab-sources lists it as disabled only
//   when it was a job (its program exists on the host, or it ran);
// - `# vmwarden-maintenance BEGIN` / `END` (and the legacy `bytelyst-vm-maintenance`) mark
//   the managed block written by scripts/install-cron.sh.
// A line that is none of these is returned in `invalid` with the reason.
import { CronExpressionParser } from 'cron-parser';
import cronstrue from 'cronstrue';
import path from 'node:path';

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
	/** The program doing the work (deriveJobName): what must exist for a commented line to be a job. */
	program: string | null;
	/** The directory a run-parts job runs (`/etc/cron.daily`). */
	runParts: string | null;
	/**
	 * Shipped by the distribution rather than written by the operator: the run-parts lines of
	 * /etc/crontab (or cronie's 0hourly), and every job of a /etc/cron.d file a package owns.
	 */
	system: boolean;
	/** The package that ships the job's file, when known (dpkg's conffiles). */
	package: string | null;
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
	lines: {
		line: number;
		kind: 'blank' | 'comment' | 'env' | 'job' | 'disabled-job' | 'block-marker' | 'invalid';
	}[];
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
		if (step !== undefined && !/^\d+$/.test(step))
			return `${f.name} "${text}": step "${step}" is not a number`;
		if (step !== undefined && Number(step) === 0) return `${f.name} "${text}": step 0`;
		if (range === '*') continue;
		const bounds = range.split('-');
		if (bounds.length > 2) return `${f.name} "${text}": "${range}" is not a range`;
		const nums = bounds.map(value);
		for (let i = 0; i < bounds.length; i++) {
			const n = nums[i];
			if (n === null)
				return `${f.name} "${text}": "${bounds[i]}" is not a number${f.names ? ' or a name' : ''}`;
			if (n < f.min || n > f.max)
				return `${f.name} "${text}": ${bounds[i]} is outside ${f.min}-${f.max}`;
			if (!/^\d+$/.test(bounds[i]) && (bounds.length > 1 || items.length > 1))
				namedInCompound = true;
		}
		if (bounds.length === 2 && nums[0]! > nums[1]!)
			return `${f.name} "${text}": range ${range} runs backwards`;
		if (bounds.length === 1 && step !== undefined) {
			// Vixie cron reads `5/10` as `5-max/10`; cronie refuses it. Accept, as cron-parser does.
		}
	}
	if (namedInCompound)
		warnings.push(
			`${f.name} "${text}": Debian's cron allows names only as single values, not in ranges or lists`
		);
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

export interface DerivedName {
	name: string;
	wrapped: boolean;
	cleanupMode: CleanupMode | null;
	/**
	 * The program that does the work, as the host would find it: an absolute path, a path
	 * joined to the directory of a preceding `cd`, or a bare name to look up in PATH; for
	 * run-parts, the directory it runs. Null when the command names none.
	 */
	program: string | null;
	/** The directory a run-parts job runs (`/etc/cron.daily`), else null. */
	runParts: string | null;
}

// Commands that only decide whether the job runs or where: `test -x X ||`, `[ -x X ] &&`,
// `command -v X >/dev/null &&`, `cd DIR &&`. Never the job's name.
const GUARDS = new Set(['cd', 'test', '[', '[[', 'true', 'false', ':', 'which', 'type', 'exit']);
// Shell words around the command: `{ …; }`, `( … )`, `if …; then …; fi`.
const SHELL_WORDS = new Set([
	'{',
	'}',
	'(',
	')',
	'if',
	'then',
	'else',
	'elif',
	'fi',
	'do',
	'done',
	'while',
	'until',
	'!'
]);
// Programs that run the next word as the command, with the options each one takes.
// `operands`: words (not options) the wrapper itself takes before the command.
const WRAPPERS: Record<string, { operands: number; optionArgs: string[] }> = {
	env: { operands: 0, optionArgs: ['-u', '--unset', '-C', '--chdir', '-S', '--split-string'] },
	nice: { operands: 0, optionArgs: ['-n', '--adjustment'] },
	ionice: {
		operands: 0,
		optionArgs: ['-c', '--class', '-n', '--classdata', '-p', '--pid', '-P', '-u']
	},
	nohup: { operands: 0, optionArgs: [] },
	time: { operands: 0, optionArgs: ['-f', '--format', '-o', '--output'] },
	sudo: {
		operands: 0,
		optionArgs: ['-u', '--user', '-g', '--group', '-C', '-D', '-h', '-p', '-r', '-t', '-T']
	},
	chronic: { operands: 0, optionArgs: [] },
	cronic: { operands: 0, optionArgs: [] },
	exec: { operands: 0, optionArgs: ['-a'] },
	setsid: { operands: 0, optionArgs: [] },
	stdbuf: { operands: 0, optionArgs: ['-i', '-o', '-e'] },
	command: { operands: 0, optionArgs: [] },
	timeout: { operands: 1, optionArgs: ['-k', '--kill-after', '-s', '--signal'] },
	flock: { operands: 1, optionArgs: ['-w', '--timeout', '-E', '--conflict-exit-code'] }
};
// An interpreter followed by a script: the script does the work (`/bin/bash /srv/backup.sh`).
const INTERPRETERS = /^(?:sh|bash|dash|zsh|ksh|python[0-9.]*|perl|php[0-9.]*|node|ruby)$/;
// Service managers: `invoke-rc.d anacron start`, `service x restart`, `systemctl start x`.
const SERVICE_TOOLS = new Set(['invoke-rc.d', 'service', 'systemctl']);

const baseName = (word: string) => word.split('/').pop() ?? word;
const stripQuotes = (word: string) => word.replace(/^(['"])(.*)\1$/, '$2');
const toName = (word: string) =>
	baseName(word)
		.replace(/\.(sh|bash|py|js|mjs|pl|rb|php)$/, '')
		.toLowerCase()
		.replace(/[^a-z0-9._-]+/g, '-')
		.replace(/^-+|-+$/g, '')
		.slice(0, 64);

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
const isRedirect = (w: string) => /^(?:\d*[<>]+&?\d*-?|&>>?)$/.test(w);
// `2>&1` and `>&-` carry their target; `>`, `2>>`, `&>` take the next word.
const redirectTakesTarget = (w: string) => !/&\d+$|&-$/.test(w);

/** The operands of a command from word `from` on: no options, no redirections or their targets. */
function operandsAfter(words: string[], from: number): string[] {
	const out: string[] = [];
	for (let i = from; i < words.length; i++) {
		const w = words[i];
		if (isRedirect(w)) {
			if (redirectTakesTarget(w)) i++;
		} else if (!w.startsWith('-') && !SHELL_WORDS.has(w)) out.push(w);
	}
	return out;
}

/** The simple commands of a shell line, each as its words (quotes kept together, a `#` word ends the line). */
function simpleCommands(command: string): string[][] {
	const words =
		command.match(/"[^"]*"|'[^']*'|&&|\|\||\d*[<>]+&?\d*-?|&>>?|[;|&(){}]|[^\s;|&()<>]+/g) ?? [];
	const out: string[][] = [[]];
	for (const w of words) {
		if (w.startsWith('#')) break;
		if (['&&', '||', ';', '|', '&', '(', ')'].includes(w)) out.push([]);
		else out.at(-1)!.push(w);
	}
	return out.filter((c) => c.length > 0);
}

/** Where a command's words point at the program doing the work; null for a guard or nothing. */
function workOf(
	words: string[],
	cwd: string | null
): { name: string; program: string | null; runParts: string | null } | null {
	let i = 0;
	const skip = () => {
		for (;;) {
			const w = words[i];
			if (w === undefined) return;
			if (isRedirect(w)) i += redirectTakesTarget(w) ? 2 : 1;
			else if (SHELL_WORDS.has(w) || ASSIGNMENT.test(w)) i++;
			else return;
		}
	};
	skip();
	for (;;) {
		const word = stripQuotes(words[i] ?? '');
		const base = baseName(word);
		if (base === 'command' && /^-[vV]$/.test(words[i + 1] ?? '')) return null; // `command -v X`: a guard
		const wrapper = WRAPPERS[base];
		if (!wrapper) break;
		i++;
		let operands = wrapper.operands;
		while (i < words.length) {
			const w = words[i];
			if (wrapper.optionArgs.includes(w)) i += 2;
			else if (w.startsWith('-')) i++;
			else if (ASSIGNMENT.test(w)) i++;
			else if (operands > 0) {
				operands--;
				i++;
			} else if (base === 'nice' && /^-?\d+$/.test(w)) i++;
			else break;
		}
		skip();
	}
	const word = stripQuotes(words[i] ?? '');
	if (!word) return null;
	const base = baseName(word);
	if (GUARDS.has(base)) return null;
	const args = operandsAfter(words, i + 1);
	if (base === 'run-parts') {
		const dir = args.at(-1) ? stripQuotes(args.at(-1)!) : null;
		return {
			name: dir ? baseName(dir.replace(/\/+$/, '')) : 'run-parts',
			program: dir,
			runParts: dir
		};
	}
	if (SERVICE_TOOLS.has(base) && args.length > 0) {
		const service = base === 'systemctl' ? (args[1] ?? args[0]) : args[0];
		return { name: toName(service.replace(/\.service$/, '')), program: word, runParts: null };
	}
	const dashC = words.indexOf('-c', i + 1);
	if (INTERPRETERS.test(base) && dashC > 0 && words[dashC + 1]) {
		const inner = deriveJobName(stripQuotes(words[dashC + 1]));
		if (inner.program || inner.runParts)
			return { name: inner.name, program: inner.program, runParts: inner.runParts };
	}
	if (INTERPRETERS.test(base) && dashC < 0 && args[0] && /[./]/.test(args[0])) {
		const script = stripQuotes(args[0]);
		return { name: toName(script), program: resolveWord(script, cwd), runParts: null };
	}
	return { name: toName(word), program: resolveWord(word, cwd), runParts: null };
}

function resolveWord(word: string, cwd: string | null): string {
	if (word.startsWith('/') || !word.includes('/')) return word;
	return cwd ? path.posix.join(cwd, word) : word;
}

/**
 * Name for a job: cron-run.sh's JOB, a vm-cleanup/health-check name, the directory run-parts
 * runs (`cron.daily`), or the program that does the work — past `cd … &&`, `test …`/`[ … ]`
 * and `command -v … &&` guards, `if …; then`, `{ … }`, VAR=value, and wrappers such as env,
 * nice, ionice, timeout, flock, sudo — without its directory and script extension.
 */
export function deriveJobName(command: string): DerivedName {
	const cleanup = /(?:^|[\s/])vm-cleanup\.sh(?=\s|$)(.*)$/.exec(command);
	const cleanupMode: CleanupMode | null = cleanup
		? ((/--(standard|weekly|full)\b/.exec(cleanup[1])?.[1] as CleanupMode | undefined) ??
			'standard')
		: null;
	const commands = simpleCommands(command);
	let cwd: string | null = null;
	let work: ReturnType<typeof workOf> = null;
	for (const words of commands) {
		const cd = words.filter((w) => !SHELL_WORDS.has(w));
		if (cd[0] === 'cd' && cd[1]?.startsWith('/')) cwd = stripQuotes(cd[1]);
		work = workOf(words, cwd);
		if (work) break;
	}
	const program = work?.program ?? null;
	const runParts = work?.runParts ?? null;
	const wrapped = /(?:^|[\s/])cron-run\.sh\s+(\S+)\s+--(?=\s)(.*)$/.exec(command);
	if (wrapped) {
		const inner = deriveJobName(wrapped[2]);
		return {
			name: wrapped[1],
			wrapped: true,
			cleanupMode,
			program: inner.program,
			runParts: inner.runParts
		};
	}
	if (cleanupMode)
		return { name: `cleanup-${cleanupMode}`, wrapped: false, cleanupMode, program, runParts };
	if (/(?:^|[\s/])vm-health-check\.sh(?=\s|$)/.test(command))
		return { name: 'health-check', wrapped: false, cleanupMode, program, runParts };
	if (work?.name) return { name: work.name, wrapped: false, cleanupMode, program, runParts };
	// Only guards (`test -x /x`): name it after its first word, as before.
	const first = commands[0]?.find((w) => !SHELL_WORDS.has(w));
	return {
		name: (first && toName(first)) || 'job',
		wrapped: false,
		cleanupMode,
		program: null,
		runParts: null
	};
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

type JobLine = Omit<
	CronJob,
	| 'name'
	| 'source'
	| 'line'
	| 'raw'
	| 'enabled'
	| 'managed'
	| 'wrapped'
	| 'cleanupMode'
	| 'description'
	| 'program'
	| 'runParts'
	| 'system'
	| 'package'
> & {
	derived: DerivedName;
};

// The directories Debian's /etc/crontab (and cronie's /etc/cron.d/0hourly) hand to run-parts.
const DISTRIBUTION_RUN_PARTS = /^\/etc\/cron\.(?:hourly|daily|weekly|monthly|yearly)\/?$/;

/** Whether a job runs one of the distribution's /etc/cron.{hourly,daily,…} directories. */
export function runsDistributionDirectory(job: Pick<CronJob, 'runParts'>): boolean {
	return job.runParts !== null && DISTRIBUTION_RUN_PARTS.test(job.runParts);
}

// Example lines the distributions ship inside comments, whitespace collapsed: Debian's and
// Ubuntu's /etc/crontab (`# *  *  *  *  * user-name command to be executed`) and the header
// `crontab -e` writes into a new crontab (`# 0 5 * * 1 tar -zcf /var/backups/home.tgz /home/`).
// They read as job lines, and `tar` exists on every host, but nobody ever ran them.
const SHIPPED_EXAMPLES = new Set([
	'* * * * * user-name command to be executed',
	'* * * * * user-name command to be executed.',
	'0 5 * * 1 tar -zcf /var/backups/home.tgz /home/'
]);

/** Whether a comment's text (without its '#') is one of the examples Debian, Ubuntu or cronie ship. */
export function isShippedExample(text: string): boolean {
	return SHIPPED_EXAMPLES.has(text.trim().replace(/\s+/g, ' '));
}

/** Parses the text of a job line (without any leading '#'); returns the job or the reason it is not one. */
function parseJobLine(
	text: string,
	kind: CrontabKind,
	tz: string
): { job: JobLine } | { reason: string } {
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
	return {
		job: {
			schedule,
			expression,
			user,
			command: command.trim(),
			stdin,
			tz,
			warnings,
			derived: deriveJobName(command)
		}
	};
}

const ENV_RE = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;
const BLOCK_RE = /^#\s*(vmwarden-maintenance|bytelyst-vm-maintenance)\s+(BEGIN|END)(?:\s|$)/;

function unquote(value: string): string {
	const v = value.trim();
	if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.at(-1) === v[0]) return v.slice(1, -1);
	return v;
}

/** Parse one crontab's text. Never throws; every line is classified. */
export function parseCrontab(
	text: string,
	{ source, kind = 'user', defaultTz = 'UTC' }: ParseCrontabOptions
): ParsedCrontab {
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
				description: describeSchedule(job.schedule, tz),
				program: derived.program,
				runParts: derived.runParts,
				system: derived.runParts !== null && DISTRIBUTION_RUN_PARTS.test(derived.runParts),
				package: null
			});
			lines.push({ line, kind: enabled ? 'job' : 'disabled-job' });
			return true;
		};

		if (trimmed.startsWith('#')) {
			const inner = trimmed.replace(/^#+\s*/, '');
			// A comment is a disabled job only when it reads as a full job line and is not one of
			// the examples the distributions ship. Schedules start with a digit, * or @ (names only
			// appear in the last two fields). Whether it ever was a job is for the reader to judge
			// (crontab-sources: its program exists, or it ran).
			if (/^[\d*@]/.test(inner) && !isShippedExample(inner) && addJob(inner, false)) return;
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
		invalid.push({
			line: o.begin,
			raw: rows[o.begin - 1] ?? '',
			reason: `${o.name} BEGIN without END`
		});
	}
	return { source, kind, jobs, env, invalid, blocks, lines };
}

/**
 * Make job names unique across several crontabs: the second `curl` becomes `curl-2`. Names
 * go out in order of `rank` (lower first), then of position; the result keeps the input order.
 * A suffixed name never collides with a name that is already taken (`x-2` written as such).
 */
export function uniqueJobNames<T extends { name: string }>(
	jobs: T[],
	rank: (job: T) => number = () => 0
): T[] {
	const order = jobs
		.map((job, i) => ({ job, i, r: rank(job) }))
		.sort((a, b) => a.r - b.r || a.i - b.i);
	const taken = new Set(jobs.map((j) => j.name));
	const count = new Map<string, number>();
	const out = jobs.slice();
	for (const { job, i } of order) {
		const n = (count.get(job.name) ?? 0) + 1;
		count.set(job.name, n);
		if (n === 1) continue;
		let k = n;
		while (taken.has(`${job.name}-${k}`)) k++;
		taken.add(`${job.name}-${k}`);
		out[i] = { ...job, name: `${job.name}-${k}` };
	}
	return out;
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
	const prev = CronExpressionParser.parse(expression, { tz, currentDate: new Date(t + 1) })
		.prev()
		.getTime();
	const next = CronExpressionParser.parse(expression, { tz, currentDate: now }).next().getTime();
	const w = { prev, next };
	if (windows.size > 1000) windows.clear();
	windows.set(key, w);
	return w;
}

/** The next run after `now` in the job's time zone; null for @reboot or disabled jobs. */
export function nextRun(
	job: Pick<CronJob, 'expression' | 'tz' | 'enabled'>,
	now: Date
): Date | null {
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
export function wrapSuggestion(
	job: Pick<CronJob, 'raw' | 'name' | 'enabled' | 'user' | 'schedule'>,
	cronRunPath: string
): string {
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
