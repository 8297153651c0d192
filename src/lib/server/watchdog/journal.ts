// Where the watchdog's actions go besides the audit record: one line each in the log file
// (VMW_LOG_DIR/<WATCHDOG_LOG_FILE>, warned about once when it cannot be written) and the
// notification hook (the alerts service), whose failure never stops the watchdog.
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log';
import { formatWatchdogLine, WATCHDOG_LOG_FILE, type WatchdogLogEvent } from './log-line';

export interface WatchdogNotification {
	kind: 'restart' | 'restart-failed' | 'quarantine';
	hostId: string;
	container: string;
	reason: string;
	at: number;
	dryRun: boolean;
}

export function createWatchdogJournal({
	logDir,
	log,
	notify
}: {
	logDir: string;
	log: Logger;
	notify?: (n: WatchdogNotification) => void | Promise<void>;
}) {
	const file = path.join(logDir, WATCHDOG_LOG_FILE);
	const hook =
		notify ??
		((n: WatchdogNotification) =>
			log.warn(`notify: ${n.kind} ${n.container} (${n.reason})`, { ...n }));
	let fileWarned = false;
	return {
		async write(at: number, e: WatchdogLogEvent) {
			try {
				await appendFile(file, formatWatchdogLine(at, e));
			} catch (err) {
				if (!fileWarned) log.warn(`cannot append to ${file}`, { err });
				fileWarned = true;
			}
		},
		async notify(n: WatchdogNotification) {
			try {
				await hook(n);
			} catch (err) {
				log.warn('notification hook failed', { err });
			}
		}
	};
}
