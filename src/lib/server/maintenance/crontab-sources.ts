// Reads the crontabs named in VMW_CRONTABS. Each entry is a file or a directory of files
// (/etc/cron.d), optionally prefixed `user:` or `system:`; without a prefix /etc/crontab and
// anything in a directory named cron.d are system crontabs (with a user column). Every read
// goes through fs/safe-path: a file is resolved inside its own directory, so a symlinked
// crontab that points elsewhere is refused. One unreadable source never hides the others.
//
// Then what the text alone cannot tell:
// - system or not: a job in a /etc/cron.d file that a package owns (dpkg's conffiles under
//   rootfs) is the distribution's, as are the run-parts lines of /etc/crontab; the rest is
//   the operator's, even in /etc/crontab;
// - a commented-out job line is listed (disabled) only when it was a job: this process saw
//   it enabled, the run history has it (`ranBefore`), or its program exists on the host.
//   A comment that merely looks like a job (a stale example) stays a comment.
// - names: unique across all crontabs, handed out to the operator's enabled jobs first, then
//   the system's, then disabled lines, so a package's file or a commented line never renames
//   a job whose history is keyed by its name.
import path from 'node:path';
import { listInside, readInside, SafePathError } from '../fs/safe-path';
import {
	parseCrontab,
	uniqueJobNames,
	type CronJob,
	type CrontabInvalidLine,
	type CrontabKind,
	type ParsedCrontab
} from './crontab';
import { conffileOwners, DEFAULT_CRON_PATH, hostPathOf, programExists } from './system-jobs';

export interface CrontabSourceState {
	path: string;
	kind: CrontabKind;
	state: 'ok' | 'not-found' | 'not-readable' | 'skipped';
	/** Why it is not ok (or which files cron itself ignores). */
	reason: string | null;
}

export interface CrontabSet {
	jobs: CronJob[];
	/** Commented lines that read as jobs but show no sign of ever having been one. */
	unconfirmed: CronJob[];
	invalid: (CrontabInvalidLine & { source: string })[];
	sources: CrontabSourceState[];
	crontabs: ParsedCrontab[];
}

const MAX_CRONTAB_BYTES = 1024 * 1024;

export function parseSourceSpec(spec: string): { path: string; kind: CrontabKind | null } {
	const m = /^(user|system):(.*)$/.exec(spec);
	if (m) return { path: m[2], kind: m[1] as CrontabKind };
	return { path: spec, kind: null };
}

function inferKind(file: string, fromDir: boolean): CrontabKind {
	if (file === '/etc/crontab' || fromDir || path.basename(path.dirname(file)) === 'cron.d')
		return 'system';
	return 'user';
}

function stateOf(err: unknown): { state: 'not-found' | 'not-readable'; reason: string } {
	if (err instanceof SafePathError && (err.reason === 'not-found' || err.reason === 'root-missing'))
		return { state: 'not-found', reason: err.message };
	return { state: 'not-readable', reason: err instanceof Error ? err.message : String(err) };
}

// Parsing costs a few ms (cron-parser and cronstrue per job); the text rarely changes.
const parsedCache = new Map<string, { text: string; parsed: ParsedCrontab }>();

async function readOne(file: string, kind: CrontabKind, defaultTz: string, out: CrontabSet) {
	try {
		const text = await readInside(path.dirname(file), path.basename(file), {
			maxBytes: MAX_CRONTAB_BYTES
		});
		const key = `${kind}|${defaultTz}|${file}`;
		const hit = parsedCache.get(key);
		const parsed =
			hit && hit.text === text ? hit.parsed : parseCrontab(text, { source: file, kind, defaultTz });
		if (!hit || hit.parsed !== parsed) {
			if (parsedCache.size > 200) parsedCache.clear();
			parsedCache.set(key, { text, parsed });
		}
		out.crontabs.push(parsed);
		out.sources.push({ path: file, kind, state: 'ok', reason: null });
	} catch (err) {
		out.sources.push({ path: file, kind, ...stateOf(err) });
	}
}

// Job lines this process has seen enabled, by file: commenting one out later keeps it listed.
const seenEnabled = new Set<string>();
const seenKey = (job: Pick<CronJob, 'source' | 'command'>) => `${job.source}\n${job.command}`;

/** Order in which names are handed out: the operator's enabled jobs, the system's, disabled lines. */
const nameRank = (job: CronJob) => (!job.enabled ? 2 : job.system ? 1 : 0);

export interface ReadCrontabsOptions {
	specs: string[];
	defaultTz: string;
	/** Where the host's files are ('/' or '/host/rootfs'): dpkg's database, the programs of commented lines. */
	rootfs?: string;
	/** Whether the run history holds runs of this (commented-out) job. */
	ranBefore?: (job: CronJob) => boolean;
}

/** Read and parse every configured crontab. Never throws. */
export async function readCrontabs({
	specs,
	defaultTz,
	rootfs = '/',
	ranBefore = () => false
}: ReadCrontabsOptions): Promise<CrontabSet> {
	const out: CrontabSet = { jobs: [], unconfirmed: [], invalid: [], sources: [], crontabs: [] };
	for (const spec of specs) {
		const { path: p, kind } = parseSourceSpec(spec);
		let entries: string[] | null = null;
		try {
			entries = await listInside(p, '.');
		} catch (err) {
			if (err instanceof SafePathError && err.reason === 'root-missing') {
				out.sources.push({
					path: p,
					kind: kind ?? inferKind(p, false),
					state: 'not-found',
					reason: err.message
				});
				continue;
			}
			// Not a directory (ENOTDIR) or not listable: read it as a file, which reports its own error.
		}
		if (entries === null) {
			await readOne(p, kind ?? inferKind(p, false), defaultTz, out);
			continue;
		}
		for (const name of entries) {
			const file = path.join(p, name);
			// cron skips names that run-parts would (a dot, e.g. .placeholder or foo.dpkg-old).
			if (!/^[A-Za-z0-9_-]+$/.test(name)) {
				out.sources.push({
					path: file,
					kind: kind ?? 'system',
					state: 'skipped',
					reason: 'cron ignores file names with characters other than letters, digits, - and _'
				});
				continue;
			}
			await readOne(file, kind ?? inferKind(file, true), defaultTz, out);
		}
	}
	const owners = await conffileOwners(rootfs);
	const listed: CronJob[] = [];
	for (const c of out.crontabs) {
		const hostPath = hostPathOf(c.source, rootfs);
		const owner = owners.get(hostPath) ?? null;
		const pathAt = (line: number) =>
			c.env.filter((e) => e.name === 'PATH' && e.line < line).at(-1)?.value ?? DEFAULT_CRON_PATH;
		for (const parsed of c.jobs) {
			// /etc/crontab is a package's file too, but operators add their own lines there.
			const system = parsed.system || (owner !== null && hostPath !== '/etc/crontab');
			const job: CronJob = { ...parsed, system, package: system ? owner : null };
			if (job.enabled) {
				if (seenEnabled.size > 10_000) seenEnabled.clear();
				seenEnabled.add(seenKey(job));
				listed.push(job);
			} else if (
				seenEnabled.has(seenKey(job)) ||
				ranBefore(job) ||
				(await programExists({ program: job.program, rootfs, pathVar: pathAt(job.line) }))
			) {
				listed.push(job);
			} else out.unconfirmed.push(job);
		}
	}
	out.jobs = uniqueJobNames(listed, nameRank);
	out.invalid = out.crontabs.flatMap((c) => c.invalid.map((i) => ({ ...i, source: c.source })));
	return out;
}
