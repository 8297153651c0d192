// The host a page request is about (issue 15, UI), decided once per request and shared by the
// root layout (switcher, links) and every page load (through hostCallerFor). The rule itself is
// pure (host-context.ts chooseHost); this module only gathers its inputs.
import type { RequestEvent } from '@sveltejs/kit';
import type { OverviewRow } from './hub/types';
export type { SwitcherHost } from '../host-context';
import {
	chooseHost,
	HOST_PARAM,
	remoteHostOf,
	type HostChoice,
	type KnownHost,
	type SwitcherHost
} from '../host-context';
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

/** Where the host list and the remembered host come from (the registry, the hub's overview, the user's row). */
export interface HostSources {
	/** the registry's host views (in memory): empty on a single VM; null when it cannot be read */
	registered(): Promise<KnownHost[] | null>;
	/** the status dots; null when the overview cannot be read */
	overview(): Promise<OverviewRow[] | null>;
	preferred(): Promise<string | null>;
}

/**
 * A single VM (empty registry) asks nothing more: no overview, no remembered host, so a page
 * costs what it did before the hub existed. With hosts registered, the overview (from memory)
 * gives the switcher's dots and the user's row the remembered host.
 */
export async function resolvePageHost({
	url,
	localId,
	sources
}: {
	url: URL;
	localId: string;
	sources: HostSources | null;
}): Promise<PageHost> {
	const requested = url.searchParams.get(HOST_PARAM);
	if (!sources)
		return {
			choice: chooseHost({ requested: null, remembered: null, localId, known: [] }),
			hosts: []
		};
	const registered = await sources.registered();
	if (registered !== null && registered.length === 0) {
		return {
			choice: chooseHost({ requested, remembered: null, localId, known: [] }),
			hosts: [{ hostId: localId, name: localId, kind: 'local', status: 'UNKNOWN' }]
		};
	}
	const [rows, remembered] = await Promise.all([sources.overview(), sources.preferred()]);
	const known = registered ?? rows;
	const choice = chooseHost({
		requested,
		remembered,
		localId,
		known: known ? known.map((h) => h.hostId) : null
	});
	return { choice, hosts: switcherHosts(registered, rows ?? [], localId) };
}

/**
 * The local host first (always listed), then the registry's in name order, each with its status
 * from the overview (UNKNOWN when it has no row yet or is unavailable). Without the registry the
 * overview's rows are the list.
 */
export function switcherHosts(
	registered: readonly KnownHost[] | null,
	rows: readonly OverviewRow[],
	localId: string
): SwitcherHost[] {
	const status = statusByHost(rows);
	const local = rows.find((r) => r.hostId === localId);
	const others = (registered ?? rows)
		.filter((h) => h.hostId !== localId)
		.sort((a, b) => a.name.localeCompare(b.name) || a.hostId.localeCompare(b.hostId));
	return [
		{
			hostId: localId,
			name: local?.name ?? localId,
			kind: 'local',
			status: status[localId] ?? 'UNKNOWN'
		},
		...others.map((h) => ({
			hostId: h.hostId,
			name: h.name,
			kind: h.kind,
			status: status[h.hostId] ?? 'UNKNOWN'
		}))
	];
}

/** The hub's overview and the user's remembered host, through the router (its auth rules apply). */
function sourcesFor(event: Pick<RequestEvent, 'locals' | 'request'>): HostSources | null {
	if (!event.locals.principal) return null;
	const caller = callerFor(event);
	return {
		registered: () =>
			getServices()
				.hosts.list()
				.then(
					(views) => views.map((v) => ({ hostId: v.id, name: v.name, kind: v.kind })),
					(err: unknown) => {
						log.warn('hosts registry unreadable', { err });
						return null;
					}
				),
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
export function pageHostFor(
	event: Pick<RequestEvent, 'locals' | 'request' | 'url'>
): Promise<PageHost> {
	let found = perRequest.get(event.locals);
	if (!found) {
		found = resolvePageHost({
			url: event.url,
			localId: getServices().config.hostId,
			sources: sourcesFor(event)
		});
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
