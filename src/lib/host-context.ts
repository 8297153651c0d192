// Which host a page shows (issue 15, UI): `?host=<id>` in the URL (deep links carry it), else the
// user's remembered host, else this instance's own. Pure: shared by the server loads (caller
// scoping), the browser tRPC client (a link that adds `hostId`) and the links the pages build.
// No IO here: client code imports it.
import type { HostKind } from './server/hosts/types';
import type { Status } from './health';

/** The URL parameter that carries the chosen host. */
export const HOST_PARAM = 'host';

/** Same rule as the server's hostIdSchema (trpc/host.ts): anything else is not a host id. */
const HOST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface HostChoice {
	/** the host every host-scoped call of this page goes to */
	hostId: string;
	/** this instance's own host id (config VMW_HOST_ID) */
	localId: string;
	isLocal: boolean;
	/** where the choice came from */
	source: 'url' | 'remembered' | 'local';
	/** more than one host is known: the switcher shows and links carry `?host=` */
	multi: boolean;
	/** set when the URL asked for a host this hub does not know (shown to the user) */
	notice: string | null;
}

export interface KnownHost {
	hostId: string;
	name: string;
	kind: HostKind | 'local';
}

/** A host as the switcher lists it: its status dot from the overview (UNKNOWN when unavailable). */
export interface SwitcherHost extends KnownHost {
	status: Status;
}

/**
 * Precedence: the URL's `?host=` (when it names a known host), then the remembered host (when
 * still registered), then the local one. `known` is null when the host list could not be read:
 * then an id-shaped request is trusted (each call answers for itself if the host is gone).
 */
export function chooseHost({
	requested,
	remembered,
	localId,
	known
}: {
	requested: string | null | undefined;
	remembered: string | null | undefined;
	localId: string;
	known: readonly string[] | null;
}): HostChoice {
	const isKnown = (id: string) => id === localId || known === null || known.includes(id);
	const multi = known !== null && new Set([localId, ...known]).size > 1;
	const make = (
		hostId: string,
		source: HostChoice['source'],
		notice: string | null = null
	): HostChoice => ({
		hostId,
		localId,
		isLocal: hostId === localId,
		source,
		multi: multi || hostId !== localId,
		notice
	});
	let notice: string | null = null;
	if (requested !== null && requested !== undefined && requested !== '') {
		if (HOST_ID.test(requested) && isKnown(requested)) return make(requested, 'url');
		notice = HOST_ID.test(requested)
			? `Host "${requested}" is not registered on this hub`
			: 'The link names an invalid host id';
	}
	if (
		remembered &&
		HOST_ID.test(remembered) &&
		remembered !== localId &&
		known !== null &&
		known.includes(remembered)
	) {
		return make(
			remembered,
			'remembered',
			notice && `${notice}; showing your last host, ${remembered}.`
		);
	}
	return make(localId, 'local', notice && `${notice}; showing this hub's own host, ${localId}.`);
}

/**
 * Procedures that are not about one host: they never take `hostId` (sessions, users, tokens,
 * the hosts registry, the hub's all-hosts views). Everything else is host-scoped. The server's
 * declaration is the procedure's builder (trpc/init.ts host builders); this browser-side copy is
 * held to it for every procedure by trpc/per-host.spec.ts.
 */
const NOT_HOST_SCOPED_AREAS = ['auth.', 'users.', 'tokens.', 'hosts.'];
const NOT_HOST_SCOPED_PROCEDURES = ['hub.overview', 'hub.live', 'hub.all'];

export function isHostScoped(path: string): boolean {
	return (
		!NOT_HOST_SCOPED_AREAS.some((prefix) => path.startsWith(prefix)) &&
		!NOT_HOST_SCOPED_PROCEDURES.includes(path)
	);
}

/**
 * The input a host-scoped call sends: `hostId` added for a host other than the local one
 * (omitted means "this instance's own", so a single-VM install sends exactly what it did before,
 * including to procedures whose strict inputs have no `hostId`). An explicit `hostId` wins.
 */
export function withHost(path: string, input: unknown, hostId: string | null): unknown {
	if (hostId === null || !isHostScoped(path)) return input;
	if (input === undefined || input === null) return { hostId };
	if (typeof input !== 'object' || Array.isArray(input) || input instanceof Date) return input;
	if ('hostId' in input && (input as { hostId?: unknown }).hostId !== undefined) return input;
	return { ...input, hostId };
}

/** The host a call goes to, as `withHost` wants it: null for the local host. */
export function remoteHostOf(
	choice: Pick<HostChoice, 'hostId' | 'isLocal'> | null | undefined
): string | null {
	return choice && !choice.isLocal ? choice.hostId : null;
}

/**
 * An in-app link that keeps the chosen host: `?host=` is added (or replaced) when more than one
 * host is known or the host is not the local one; a single-VM install keeps its plain links.
 * A query-only link (`?range=7d`) stays relative. External links, protocol-relative ones and
 * anything else that is not a path are left alone.
 */
export function hostHref(
	href: string,
	choice: Pick<HostChoice, 'hostId' | 'multi' | 'isLocal'> | null | undefined
): string {
	if (!choice || (!choice.multi && choice.isLocal)) return href;
	if (href.startsWith('?')) {
		// a link to the same page with other parameters (filters, ranges, cursors)
		const params = new URLSearchParams(href.slice(1));
		params.set(HOST_PARAM, choice.hostId);
		return `?${params}`;
	}
	if (!href.startsWith('/') || href.startsWith('//')) return href;
	const url = new URL(href, 'http://x');
	url.searchParams.set(HOST_PARAM, choice.hostId);
	return `${url.pathname}${url.search}${url.hash}`;
}

/** Query parameters that only mean something on one host (an audit cursor is a row id there). */
const HOST_SPECIFIC_PARAMS = ['cursor'];

/** Pages a bare Docker host has (its containers, and the hub's audit rows for it); others say they are not there. */
const DOCKER_HOST_PAGES = ['/containers', '/activity'];

/** Whether a bare Docker host has this page (pages about no host, like settings, count as present). */
export function dockerHostHas(path: string): boolean {
	return DOCKER_HOST_PAGES.includes(path) || !HOST_SCOPED_PAGES.includes(path);
}

/** Pages that show one host (the rest, like /overview, /settings, /hosts, are the hub's own). */
const HOST_SCOPED_PAGES = [
	'/',
	'/vm',
	'/containers',
	'/resources',
	'/maintenance',
	'/models',
	'/trends',
	'/digest',
	'/timeline',
	'/activity'
];

/** A host's dashboard: `/` for a vmwarden host, its containers for a bare Docker host (it has no score or health). */
export function dashboardPath(kind: KnownHost['kind'] | undefined): string {
	return kind === 'docker' ? '/containers' : '/';
}

/**
 * Where the switcher goes: the same page for the other host (pages that are not about one host,
 * like the all-hosts overview, and pages a bare Docker host does not have, go to that host's
 * dashboard), keeping host-independent parameters.
 */
export function switchHref(
	current: URL,
	hostId: string,
	{ kind, perHostPaths = ['/overview'] }: { kind?: KnownHost['kind']; perHostPaths?: string[] } = {}
): string {
	const toDashboard =
		perHostPaths.includes(current.pathname) ||
		(kind === 'docker' && !DOCKER_HOST_PAGES.includes(current.pathname));
	const params = new URLSearchParams(toDashboard ? '' : current.search);
	for (const p of HOST_SPECIFIC_PARAMS) params.delete(p);
	params.set(HOST_PARAM, hostId);
	return `${toDashboard ? dashboardPath(kind) : current.pathname}?${params}`;
}
