// Fake /proc entries for an Ollama runner process (unit tests and the /models e2e flow).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** A /proc/<pid>/stat line in the kernel's format; utime (field 14) and stime (field 15) are the arguments. */
export const pidStat = (pid: number, comm: string, utime: number, stime: number) =>
	`${pid} (${comm}) S 1187 1187 1187 0 -1 4194560 123456 0 12 0 ${utime} ${stime} 0 0 20 0 18 0 3456789 2147483648 290000 18446744073709551615 1 1 0 0 0 0 0 4096 1073745400 0 0 0 17 1 0 0 0 0 0\n`;

/** The command line Ollama ≥ 0.4 starts a model's runner with (NUL-separated, as /proc shows it). */
export const RUNNER_CMDLINE =
	[
		'/usr/bin/ollama',
		'runner',
		'--model',
		'/usr/share/ollama/.ollama/models/blobs/sha256-aaaa',
		'--ctx-size',
		'4096',
		'--port',
		'40211'
	].join('\0') + '\0';

/** Write /proc/<pid>/{cmdline,stat} under procRoot. */
export async function writeProcess(
	procRoot: string,
	pid: number,
	{ cmdline = RUNNER_CMDLINE, utime, stime }: { cmdline?: string; utime: number; stime: number }
) {
	await mkdir(path.join(procRoot, String(pid)), { recursive: true });
	await writeFile(path.join(procRoot, String(pid), 'cmdline'), cmdline);
	await writeFile(path.join(procRoot, String(pid), 'stat'), pidStat(pid, 'ollama', utime, stime));
}
