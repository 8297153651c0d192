/** Where to go after logging in: a same-site path only (no "//evil.example" or absolute URLs). */
export function safeNext(next: string | null | undefined): string {
	if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
	if (next === '/login' || next.startsWith('/login?') || next === '/setup') return '/';
	return next;
}
