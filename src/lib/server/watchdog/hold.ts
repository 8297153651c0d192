// The hold file (VMW_HOLD_FILE): while it exists the watchdog restarts nothing. Its first line,
// when readable, is the reason shown.

/** null: no hold. A file that exists but cannot be read is still a hold (reason ''). */
export async function readHold(
	file: string,
	read: (file: string) => Promise<string>
): Promise<{ reason: string } | null> {
	try {
		const text = await read(file);
		return { reason: text.split('\n')[0].trim().slice(0, 200) };
	} catch (err) {
		if (
			(err as NodeJS.ErrnoException).code === 'ENOENT' ||
			(err as NodeJS.ErrnoException).code === 'ENOTDIR'
		)
			return null;
		// present but unreadable: still a hold
		return { reason: '' };
	}
}
