// The host a page request is about (issue 15, UI), decided once per request and shared by the
// root layout (switcher, links) and every page load (through hostCallerFor). The rule itself is
// pure (host-context.ts chooseHost); this module only gathers its inputs.
import type { RequestEvent } from '@sveltejs/kit';
import type { OverviewRow } from './hub/types';
export type { SwitcherHost } from '../host-context';
import { chooseHost, HOST_PARAM, remoteHostOf, type HostChoice, type SwitcherHost } from '../host-context';
import { statusByHost } from '../overview';
import { callerFor } from './trpc/caller';
import { scopeCaller } from './trpc/scoped-caller';
import { getServices } from './services';
import { createLogger } from './log';

const log = createLogger('host-choice');

export interface PageHost {
	choice: HostChoice;
	/** every host, the local one first; empty when nobody is logged in */
	hosts: SwitcherHost[];
}

/** Where the host list and the remembered host come from (the hub's overview, the user's row). */
export interface HostSources {
	/** null when the list cannot be read */
	overview(): Promise<OverviewRow[] | null>;
	preferred(): Promise<string | null>;
}

export async function resolvePageHost({ url, localId, sources }: { url: URL; localId: string; sources: HostSources | null }): Promise<PageHost> {
	const requested = url.searchParams.get(HOST_PARAM);
	if (!sources) return { choice: chooseHost({ requested: null, remembered: null, localId, known: [] }), hosts: [] };
	const [rows, remembered] = await Promise.all([sources.overview(), sources.preferred()]);
	const choice = chooseHost({ requested, remembered, localId, known: rows ? rows.map((r) => r.hostId) : null });
	return { choice, hosts: switcherHosts(rows ?? [], localId) };
}

/** The local host first (always listed), then the registry's in name order. */
export function switcherHosts(rows: readonly OverviewRow[], localId: string): SwitcherHost[] {
	const status = statusByHost(rows);
	const local = rows.find((r) => r.hostId === localId);
	const others = rows.filter((r) => r.hostId !== localId).sort((a, b) => a.name.localeCompare(b.name) || a.hostId.localeCompare(b.hostId));
	return [
		{ hostId: localId, name: local?.name ?? localId, kind: 'local', status: status[localId] ?? 'UNKNOWN' },
		...others.map((r) => ({ hostId: r.hostId, name: r.name, kind: r.kind, status: status[r.hostId] }))
	];
}

/** The hub's overview and the user's remembered host, through the router (its auth rules apply). */
function sourcesFor(event: Pick<RequestEvent, 'locals' | 'request'>): HostSources | null {
	if (!event.locals.principal) return null;
	const caller = callerFor(event);
	return {
		overview: () =>
			caller.hub.overview().catch((err: unknown) => {
				log.warn('host list unavailable', { err });
				return null;
			}),
		// a principal without a user row (API token, auth off) has nothing remembered
		preferred: () =>
			caller.hosts.preferred().then(
				(r) => r.hostId,
				() => null
			)
	};
}

const perRequest = new WeakMap<object, Promise<PageHost>>();

/** The request's host choice, computed once however many loads ask. */
export function pageHostFor(event: Pick<RequestEvent, 'locals' | 'request' | 'url'>): Promise<PageHost> {
	let found = perRequest.get(event.locals);
	if (!found) {
		found = resolvePageHost({ url: event.url, localId: getServices().config.hostId, sources: sourcesFor(event) });
		perRequest.set(event.locals, found);
	}
	return found;
}

/**
 * `callerFor(event)` scoped to the page's host: every host-scoped call of a page load goes
 * through this (`hostCallerFor(event).containers.list()`), never naming the host by hand.
 */
export function hostCallerFor(event: Pick<RequestEvent, 'locals' | 'request' | 'url'>) {
	return scopeCaller(callerFor(event), async () => remoteHostOf((await pageHostFor(event)).choice));
}
