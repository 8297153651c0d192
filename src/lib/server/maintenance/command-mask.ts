// What a viewer may see of a crontab command line (issue 21 item 5). Crontab lines carry
// secrets often enough (`PGPASSWORD=… pg_dump`, `mysqldump -psecret`, `curl -u user:pass`,
// `https://user:pass@host`): operators see the line as written; viewers and read tokens see it
// with every assignment's value, every password-like flag's value and URL credentials masked.
// The output layer applies it by role (cron router); the crontab parser is untouched.
import type { JobStatus } from './cron-status';

export const MASK = '***';

/** Flags whose value is a secret, with or without `=`: --password, --token, -p, -u (curl user:pass) … */
const SECRET_FLAG =
	/^(?:--?(?:[Pp]assword|passwd|pass|pwd|secret|token|api-?key|apikey|auth|auth-token|access-token|user|credentials?)|-p|-u)$/;

/** A word of a shell line: unquoted runs and quoted strings glued together. */
const WORD = /(?:[^\s'"]+|'[^']*'|"(?:\\.|[^"\\])*")+/g;

function maskWord(word: string, afterSecretFlag: boolean): string {
	if (afterSecretFlag) return MASK;
	// KEY=value (an environment assignment, or key=value anywhere on the line)
	const assign = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/s.exec(word);
	if (assign) return `${assign[1]}=${MASK}`;
	// --flag=value for a secret flag
	const flagEq = /^(--?[A-Za-z][\w-]*)=(.*)$/s.exec(word);
	if (flagEq && SECRET_FLAG.test(flagEq[1])) return `${flagEq[1]}=${MASK}`;
	// -psecret (mysql style: the value glued to the flag)
	if (/^-p[^\s-]/.test(word) && !word.startsWith('--')) return `-p${MASK}`;
	// scheme://user:pass@host
	return word.replace(/(:\/\/[^/\s:@]*:)[^@\s/]*@/g, `$1${MASK}@`);
}

/** The line with secrets masked; whitespace and everything else kept as written. */
export function maskCommand(command: string): string {
	let out = '';
	let last = 0;
	let afterSecretFlag = false;
	for (const m of command.matchAll(WORD)) {
		out += command.slice(last, m.index) + maskWord(m[0], afterSecretFlag);
		last = m.index + m[0].length;
		afterSecretFlag = SECRET_FLAG.test(m[0]);
	}
	return out + command.slice(last);
}

/** A job as a viewer sees it: the command and the suggested crontab line masked. */
export function maskJob<J extends Pick<JobStatus, 'command' | 'wrapSuggestion'>>(job: J): J {
	return {
		...job,
		command: maskCommand(job.command),
		wrapSuggestion: job.wrapSuggestion === null ? null : maskCommand(job.wrapSuggestion)
	};
}

/** A cron.status answer as a viewer sees it. */
export function maskJobs<S extends { jobs: Pick<JobStatus, 'command' | 'wrapSuggestion'>[] }>(
	status: S
): S {
	return { ...status, jobs: status.jobs.map(maskJob) };
}
