// The hold file (VMW_HOLD_FILE): while it exists the watchdog restarts nothing. Its first line,
// when readable, is the reason shown.
import { statSync } from 'node:fs';

/**
 * Whether anything is at `file`, without an error object when nothing is: the file is absent
 * nearly always, and a failed read built an ENOENT error with its stack at every evaluation (a
 * flapping container's every health change: issue 24). A path through a regular file (ENOTDIR)
 * is absent too; any other failure leaves it to the read.
 */
function present(file: string): boolean {
	try {
		return statSync(file, { throwIfNoEntry: false }) !== undefined;
	} catch (err) {
		return (err as NodeJS.ErrnoException).code !== 'ENOTDIR';
	}
}

/** null: no hold. A file that exists but cannot be read is still a hold (reason ''). */
export async function readHold(
	file: string,
	read: (file: string) => Promise<string>,
	exists: (file: string) => boolean = present
): Promise<{ reason: string } | null> {
	if (!exists(file)) return null;
	try {
		const text = await read(file);
		return { reason: text.split('\n')[0].trim().slice(0, 200) };
	} catch (err) {
		if (
			(err as NodeJS.ErrnoException).code === 'ENOENT' ||
			(err as NodeJS.ErrnoException).code === 'ENOTDIR'
		)
			return null; // removed between the check and the read
		// present but unreadable: still a hold
		return { reason: '' };
	}
}
