// Lines of docker-watchdog.log in the roadmap's format (Phase 2.1):
//   [2026-05-27T10:00:00Z] Auto-restarted: <name> (unhealthy 3x)
// One line per event, UTC to the second; logrotate's policy names the file.

export const WATCHDOG_LOG_FILE = 'docker-watchdog.log';

export type WatchdogLogEvent =
	| { kind: 'restarted'; name: string; reason: string }
	| { kind: 'would-restart'; name: string; reason: string }
	| { kind: 'restart-failed'; name: string; error: string }
	| { kind: 'quarantined'; name: string; reason: string }
	| { kind: 'would-quarantine'; name: string; reason: string }
	| { kind: 'released'; name: string; reason: string }
	| { kind: 'oom'; name: string };

/** One line on one line: control characters (a newline in an error) become spaces, long text is cut. */
function clean(s: string, max = 300): string {
	// eslint-disable-next-line no-control-regex
	const one = s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
	return one.length > max ? one.slice(0, max - 1) + '…' : one;
}

export function formatWatchdogLine(at: number | Date, e: WatchdogLogEvent): string {
	const ts = new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
	const name = clean(e.name.replace(/^\//, ''), 128);
	const body = (() => {
		switch (e.kind) {
			case 'restarted':
				return `Auto-restarted: ${name} (${clean(e.reason)})`;
			case 'would-restart':
				return `Would restart (dry-run): ${name} (${clean(e.reason)})`;
			case 'restart-failed':
				return `Restart failed: ${name} (${clean(e.error)})`;
			case 'quarantined':
				return `Quarantined: ${name} (${clean(e.reason)})`;
			case 'would-quarantine':
				return `Would quarantine (dry-run): ${name} (${clean(e.reason)})`;
			case 'released':
				return `Released: ${name} (${clean(e.reason)})`;
			case 'oom':
				return `OOM killed: ${name}`;
		}
	})();
	return `[${ts}] ${body}\n`;
}
