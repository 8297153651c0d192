/**
 * The one place tests find their fixtures and build a fake /proc (a `procRoot` the sampler,
 * the built server (VMW_PROC_ROOT) and the host scripts (VMW_PROC_ROOT) read instead of /proc).
 *
 *   const proc = fakeProc({ stat: 'stat.vm-steal.t0', meminfo: 'meminfo.vm-swap', loadavg: 'loadavg.vm' });
 *   proc.use('stat', 'stat.vm-steal.t1');          // swap in another fixture
 *   proc.write('loadavg', '0.50 0.40 0.30 1/2 3\n'); // or exact text
 *   proc.cleanup();
 *
 * Files are replaced atomically (write to a temporary name, then rename), so a reader
 * running at the same time (the server's sampler) sees the old file or the new one, never
 * half of one.
 */
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** tests/fixtures (see its READMEs). */
export const FIXTURES_DIR = path.resolve(import.meta.dirname, '../fixtures');
/** tests/fixtures/proc: captured and synthetic /proc files (README there). */
export const PROC_FIXTURES_DIR = path.join(FIXTURES_DIR, 'proc');

export function fixturePath(name: string): string {
	return path.join(PROC_FIXTURES_DIR, name);
}

/** The text of a fixture in tests/fixtures/proc. */
export function procFixture(name: string): string {
	return readFileSync(fixturePath(name), 'utf8');
}

export type ProcFile = 'stat' | 'meminfo' | 'loadavg';

export interface FakeProc {
	/** The directory to pass as procRoot / VMW_PROC_ROOT. */
	dir: string;
	/** Replace a file with a fixture from tests/fixtures/proc. */
	use(file: ProcFile, fixture: string): void;
	/** Replace a file with exact text. */
	write(file: ProcFile, text: string): void;
	cleanup(): void;
}

/** A temporary procRoot holding the named fixtures under their /proc names. */
export function fakeProc(files: Partial<Record<ProcFile, string>> = {}): FakeProc {
	const dir = mkdtempSync(path.join(tmpdir(), 'vmw-proc-'));
	let n = 0;
	const replace = (file: ProcFile, fill: (tmp: string) => void) => {
		const tmp = path.join(dir, `.${file}.${n++}`);
		fill(tmp);
		renameSync(tmp, path.join(dir, file));
	};
	const proc: FakeProc = {
		dir,
		use: (file, fixture) => replace(file, (tmp) => copyFileSync(fixturePath(fixture), tmp)),
		write: (file, text) => replace(file, (tmp) => writeFileSync(tmp, text)),
		cleanup: () => rmSync(dir, { recursive: true, force: true })
	};
	for (const [file, fixture] of Object.entries(files) as [ProcFile, string | undefined][]) {
		if (fixture) proc.use(file, fixture);
	}
	return proc;
}
