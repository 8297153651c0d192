// The page's host choice (root layout data) for components that build links: `here('/vm')`
// keeps `?host=` when several hosts exist (host-context.ts hostHref). Read during rendering only.
import { page } from '$app/state';
import { hostHref, type HostChoice } from '$lib/host-context';

export function pageHost(): HostChoice | null {
	return (page.data as { host?: HostChoice }).host ?? null;
}

/** An in-app link to `href` on the page's host. */
export function here(href: string): string {
	return hostHref(href, pageHost());
}

/** The `host` value a GET form must carry (a hidden field), or null when links carry none. */
export function hostField(): string | null {
	// eslint-disable-next-line svelte/prefer-svelte-reactivity -- built and read at once, never state
	return new URLSearchParams(here('?').slice(1)).get('host');
}
