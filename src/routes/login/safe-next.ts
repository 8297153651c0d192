/**
 * Where to go after logging in: a path on this app only. `next` is resolved against a fixed
 * origin and must stay on it; control characters are refused first (URL parsers drop tabs
 * and newlines, so "/\t/evil.example" would become "//evil.example").
 */
export function safeNext(next: string | null | undefined): string {
	// control characters are what this refuses (a header or log line split), so the class names them
	// eslint-disable-next-line no-control-regex
	if (!next || !next.startsWith('/') || /[\u0000-\u001f\u007f\\]/.test(next)) return '/';
	let resolved: URL;
	try {
		resolved = new URL(next, 'http://app.invalid');
	} catch {
		return '/';
	}
	if (resolved.origin !== 'http://app.invalid') return '/';
	const path = resolved.pathname + resolved.search + resolved.hash;
	if (resolved.pathname === '/login' || resolved.pathname === '/setup' || path.startsWith('//'))
		return '/';
	return path;
}
