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
import {
	copyFileSync,
	mkdtempSync,
	readFileSync,
	renameSync,
	rmSync,
	writeFileSync
} from 'node:fs';
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

/**
 * /proc/stat at step k: t0 + k × (t1 − t0) on every cpu line, other lines from t1. Between
 * any two steps the shares are those of t0 → t1 (stat.vm-steal.*: 33 steal jiffies of 400
 * = 8.25 %, busy 57.25 %, per CPU 8/9/8/8 %), however many steps lie between two samples.
 */
export function statStep(k: number, t0 = 'stat.vm-steal.t0', t1 = 'stat.vm-steal.t1'): string {
	const a = procFixture(t0).split('\n');
	const b = procFixture(t1).split('\n');
	return b
		.map((line, i) => {
			if (!line.startsWith('cpu')) return line;
			const [name, ...cols] = line.split(/\s+/);
			const base = a[i].split(/\s+/).slice(1);
			const sep = name === 'cpu' ? '  ' : ' ';
			return (
				name +
				sep +
				cols.map((c, j) => String(Number(base[j]) + k * (Number(c) - Number(base[j])))).join(' ')
			);
		})
		.join('\n');
}

/**
 * Keeps the fake /proc/stat moving: a new statStep every `everyMs`, so every sampling
 * interval longer than that sees exactly the fixture's shares. Returns the stop function.
 */
export function advanceStat(proc: FakeProc, everyMs = 100): () => void {
	let k = 0;
	proc.write('stat', statStep(k));
	const timer = setInterval(() => proc.write('stat', statStep(++k)), everyMs);
	return () => clearInterval(timer);
}
