// One structured logger: JSON lines on stdout/stderr, one `module` field per caller.
import { scrubUrls } from './net/url-secrets';
type Level = 'debug' | 'info' | 'warn' | 'error';
const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
let threshold: Level = 'info';

export function setLogLevel(level: Level) {
	threshold = level;
}

export type Logger = Record<Level, (msg: string, fields?: Record<string, unknown>) => void>;

/** A failed query's parameters can be secrets (a password hash, a token hash): never logged. */
export function redactQueryParams(message: string): string {
	return message.replace(/\nparams: [\s\S]*$/, '\nparams: [redacted]');
}

/** A URL fit for the log: no password, and no authToken (libSQL) or other token parameters. */
export function redactUrl(url: string): string {
	if (url.startsWith('file:') && !/[?@]/.test(url)) return url; // a path: nothing secret, keep it as written
	try {
		const u = new URL(url);
		if (u.password) u.password = 'redacted';
		for (const key of [...u.searchParams.keys()])
			if (/token|key|secret|password/i.test(key)) u.searchParams.set(key, 'redacted');
		return u.toString();
	} catch {
		return url.replace(/(token|key|secret|password)=[^&]*/gi, '$1=redacted');
	}
}

function errorFields(err: unknown): unknown {
	if (!(err instanceof Error)) return err;
	// an error can quote a URL with its credentials, path and query (fetch does): host only
	return {
		name: err.name,
		message: scrubUrls(redactQueryParams(err.message)),
		cause: err.cause ? errorFields(err.cause) : undefined
	};
}

export function createLogger(module: string): Logger {
	const write =
		(level: Level) =>
		(msg: string, fields: Record<string, unknown> = {}) => {
			if (rank[level] < rank[threshold]) return;
			const rec: Record<string, unknown> = { ts: new Date().toISOString(), level, module, msg };
			for (const [k, v] of Object.entries(fields)) rec[k] = k === 'err' ? errorFields(v) : v;
			(level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(
				JSON.stringify(rec) + '\n'
			);
		};
	return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
