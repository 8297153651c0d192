// Headers every response carries, whichever path answered it: SvelteKit's `handle`
// (hooks.server.ts) and the fast lane in front of it (fast-lane.ts). Pages add their CSP
// from kit.csp (svelte.config.js); authenticated answers add `Cache-Control: no-store`.
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
	'x-content-type-options': 'nosniff',
	'referrer-policy': 'same-origin',
	'x-frame-options': 'DENY'
});
