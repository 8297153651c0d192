// Reads the crontabs named in VMW_CRONTABS. Each entry is a file or a directory of files
// (/etc/cron.d), optionally prefixed `user:` or `system:`; without a prefix /etc/crontab and
// anything in a directory named cron.d are system crontabs (with a user column). Every read
// goes through fs/safe-path: a file is resolved inside its own directory, so a symlinked
// crontab that points elsewhere is refused. One unreadable source never hides the others.
import path from 'node:path';
import { listInside, readInside, SafePathError } from '../fs/safe-path';
import { parseCrontab, uniqueJobNames, type CronJob, type CrontabInvalidLine, type CrontabKind, type ParsedCrontab } from './crontab';

export interface CrontabSourceState {
	path: string;
	kind: CrontabKind;
	state: 'ok' | 'not-found' | 'not-readable' | 'skipped';
	/** Why it is not ok (or which files cron itself ignores). */
	reason: string | null;
}

export interface CrontabSet {
	jobs: CronJob[];
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
	if (file === '/etc/crontab' || fromDir || path.basename(path.dirname(file)) === 'cron.d') return 'system';
	return 'user';
}

function stateOf(err: unknown): { state: 'not-found' | 'not-readable'; reason: string } {
	if (err instanceof SafePathError && (err.reason === 'not-found' || err.reason === 'root-missing')) return { state: 'not-found', reason: err.message };
	return { state: 'not-readable', reason: err instanceof Error ? err.message : String(err) };
}

// Parsing costs a few ms (cron-parser and cronstrue per job); the text rarely changes.
const parsedCache = new Map<string, { text: string; parsed: ParsedCrontab }>();

async function readOne(file: string, kind: CrontabKind, defaultTz: string, out: CrontabSet) {
	try {
		const text = await readInside(path.dirname(file), path.basename(file), { maxBytes: MAX_CRONTAB_BYTES });
		const key = `${kind}|${defaultTz}|${file}`;
		const hit = parsedCache.get(key);
		const parsed = hit && hit.text === text ? hit.parsed : parseCrontab(text, { source: file, kind, defaultTz });
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

/** Read and parse every configured crontab. Never throws. */
export async function readCrontabs({ specs, defaultTz }: { specs: string[]; defaultTz: string }): Promise<CrontabSet> {
	const out: CrontabSet = { jobs: [], invalid: [], sources: [], crontabs: [] };
	for (const spec of specs) {
		const { path: p, kind } = parseSourceSpec(spec);
		let entries: string[] | null = null;
		try {
			entries = await listInside(p, '.');
		} catch (err) {
			if (err instanceof SafePathError && err.reason === 'root-missing') {
				out.sources.push({ path: p, kind: kind ?? inferKind(p, false), state: 'not-found', reason: err.message });
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
				out.sources.push({ path: file, kind: kind ?? 'system', state: 'skipped', reason: 'cron ignores file names with characters other than letters, digits, - and _' });
				continue;
			}
			await readOne(file, kind ?? inferKind(file, true), defaultTz, out);
		}
	}
	out.jobs = uniqueJobNames(out.crontabs.flatMap((c) => c.jobs));
	out.invalid = out.crontabs.flatMap((c) => c.invalid.map((i) => ({ ...i, source: c.source })));
	return out;
}
