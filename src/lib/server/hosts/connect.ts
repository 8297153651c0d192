// How the hub reaches a registered host (issue 15, decision 0013): a fetch for its HTTP(S)
// endpoints, the typed vmwarden client over it, a Docker API for a bare Docker Engine, and the
// "test connection" probe. The hub (src/lib/server/hub/) builds forwarding and the overview on these.
//
// fetch: undici's own `fetch` with an undici `Agent` per host. Node 20 bundles undici for its
// global fetch but does not export `Agent`, and an Agent of the `undici` package handed to the
// global fetch of another undici major breaks (dispatcher hook contract differs between majors),
// so the package's fetch and Agent are used together. TLS is always verified: against the
// host's pinned CA alone when one is given (vmwarden), else the system CAs. The package loads on
// the first request to a host (about 20 MiB of RSS that a single-VM instance never needs).
import { createHash } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import type { Agent } from 'undici';
import { createVmwardenClient, type VmwardenClient } from '../../client';
import { createDockerApi, type DockerApi } from '../docker';
import { RESTART_ANSWER_MS } from '../docker/containers';
import { hasRole } from '../auth/auth';
import { describeFailure } from './errors';
import { isLinkLocalOrMetadata } from './validate';
import type { HostRecord } from './types';

/** The header a hub sends with the hub user's identity (the host records it beside the token's). */
export const ON_BEHALF_OF_HEADER = 'x-vmwarden-on-behalf-of';

/** A call to a host that got no answer within the host's timeoutMs. */
export class HostTimeoutError extends Error {
	constructor(
		readonly hostId: string,
		readonly timeoutMs: number
	) {
		super(`no answer from host "${hostId}" within ${timeoutMs} ms`);
		this.name = 'HostTimeoutError';
	}
}

/**
 * A mutation (POST) forwarded to a host may wait on that host's own systems before it answers:
 * a restart waits out the container's stop grace and answers "in progress" after
 * RESTART_ANSWER_MS at the latest. Its bound is the host's timeout plus that, so a hub does not
 * report GATEWAY_TIMEOUT for a restart the host is doing (issue 20); queries keep the host's timeout.
 */
export const FORWARDED_MUTATION_EXTRA_MS = RESTART_ANSWER_MS + 5_000;

/** The bound of one request to a host: its timeout, plus FORWARDED_MUTATION_EXTRA_MS for a POST. */
export function requestBoundMs(
	host: Pick<HostRecord, 'timeoutMs'>,
	method: string | undefined
): number {
	return (method ?? 'GET').toUpperCase() === 'POST'
		? host.timeoutMs + FORWARDED_MUTATION_EXTRA_MS
		: host.timeoutMs;
}

const sha = (s: string | undefined) =>
	s ? createHash('sha256').update(s).digest('hex').slice(0, 16) : '-';

/** What the cached connection of a host depends on: a change rebuilds it. */
function recordKey(host: HostRecord): string {
	const s = host.secrets;
	return [
		host.kind,
		host.updatedAt,
		host.timeoutMs,
		host.url,
		host.dockerHost,
		sha(s.caPem),
		sha(s.tlsCertPem),
		sha(s.tlsKeyPem),
		sha(s.sshKeyPem),
		sha(s.sshHostKey)
	].join('|');
}

let undici: Promise<typeof import('undici')> | null = null;
const loadUndici = () => (undici ??= import('undici'));

interface Cached {
	key: string;
	agent: Promise<Agent>;
	docker: DockerApi | null;
}
const cache = new Map<string, Cached>();

function connectionOf(host: HostRecord): Cached {
	const key = recordKey(host);
	const had = cache.get(host.id);
	if (had?.key === key) return had;
	if (had) void had.agent.then((a) => a.close()).catch(() => {}); // in-flight requests finish on the old one
	const ca = host.secrets.caPem
		? host.kind === 'vmwarden'
			? host.secrets.caPem // pinned: only this CA
			: [...rootCertificates, host.secrets.caPem] // docker: the Engine's CA may also sign an https node_exporter
		: undefined;
	const agent = loadUndici().then(
		(u) =>
			new u.Agent({
				connect: { rejectUnauthorized: true, timeout: host.timeoutMs, ...(ca ? { ca } : {}) },
				keepAliveTimeout: 30_000
			})
	);
	const next: Cached = { key, agent, docker: null };
	cache.set(host.id, next);
	return next;
}

/** Drops a host's cached connection (registry onChange: edited or removed). */
export function forgetHost(id: string): void {
	const had = cache.get(id);
	if (!had) return;
	cache.delete(id);
	void had.agent.then((a) => a.close()).catch(() => {});
}

/** Closes every cached connection (shutdown, tests). */
export async function closeAllHosts(): Promise<void> {
	const all = [...cache.values()];
	cache.clear();
	await Promise.allSettled(all.map((c) => c.agent.then((a) => a.close())));
}

function isEventStream(res: { headers: { get(name: string): string | null } }): boolean {
	return (res.headers.get('content-type') ?? '').startsWith('text/event-stream');
}

/**
 * A fetch for one host: TLS verified (pinned CA when given), redirects refused (a bearer token
 * must not follow one), and every request bounded by host.timeoutMs (a mutation: plus
 * FORWARDED_MUTATION_EXTRA_MS, see requestBoundMs) together with the caller's
 * signal. The bound covers the whole exchange, body included; for an event stream (a tRPC
 * subscription) it covers the wait for the response, and the stream then lives until the
 * caller's signal ends it (the server pings every 15 s, the client reconnects after 30 s silence).
 * A timeout rejects with a HostTimeoutError (as the fetch's `cause` when it happens mid-body).
 */
export function remoteFetch(host: HostRecord): typeof fetch {
	const { agent } = connectionOf(host);
	const hostFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
		let url: string;
		let merged: RequestInit = { ...init };
		if (typeof input === 'object' && 'url' in input && !(input instanceof URL)) {
			// A Request object: carry its fields over (undici's fetch takes its own Request class only).
			const req = input as Request;
			url = req.url;
			merged = {
				method: req.method,
				headers: req.headers,
				body: req.body,
				signal: req.signal,
				...init,
				...(req.body ? { duplex: 'half' } : {})
			} as RequestInit;
		} else {
			url = String(input);
		}
		const timeout = new AbortController();
		const boundMs = requestBoundMs(host, merged.method);
		const timer = setTimeout(() => timeout.abort(new HostTimeoutError(host.id, boundMs)), boundMs);
		timer.unref?.();
		const signal = merged.signal
			? AbortSignal.any([merged.signal, timeout.signal])
			: timeout.signal;
		try {
			const [{ fetch: undiciFetch }, dispatcher] = await Promise.all([loadUndici(), agent]);
			const res = await undiciFetch(url, {
				...(merged as object),
				redirect: 'error',
				signal,
				dispatcher
			} as Parameters<typeof undiciFetch>[1]);
			if (isEventStream(res)) clearTimeout(timer);
			return res as unknown as Response;
		} catch (err) {
			clearTimeout(timer);
			if (timeout.signal.aborted && !(merged.signal?.aborted ?? false))
				throw timeout.signal.reason as HostTimeoutError;
			throw err;
		}
	};
	return hostFetch as typeof fetch;
}

/** Printable ASCII only: a header value cannot carry anything else, and no CR/LF may sneak in. */
const HEADER_VALUE = /^[\x20-\x7e]{1,200}$/;

/**
 * The typed vmwarden client for a `vmwarden` host: its URL, its token as bearer, over remoteFetch.
 * `onBehalfOf` (the hub user, e.g. `alice` or `token:3`) goes in `x-vmwarden-on-behalf-of`,
 * verbatim; it must be 1–200 printable ASCII characters (user names are).
 */
export function remoteClient(host: HostRecord, opts: { onBehalfOf?: string } = {}): VmwardenClient {
	if (host.kind !== 'vmwarden' || !host.url)
		throw new Error(`host "${host.id}" is not a vmwarden instance (kind ${host.kind})`);
	if (opts.onBehalfOf !== undefined && !HEADER_VALUE.test(opts.onBehalfOf))
		throw new TypeError('onBehalfOf must be 1-200 printable ASCII characters');
	return createVmwardenClient({
		url: host.url,
		token: host.secrets.token,
		fetch: remoteFetch(host),
		headers: opts.onBehalfOf !== undefined ? { [ON_BEHALF_OF_HEADER]: opts.onBehalfOf } : undefined
	});
}

/**
 * The Docker API of a `docker` host: tcp:// with the TLS PEMs from its secrets (server verified
 * against caPem, client certificate when set), ssh:// with its private key; every call bounded by
 * host.timeoutMs. Cached per host and rebuilt when the record changes.
 */
export function remoteDockerApi(host: HostRecord): DockerApi {
	if (host.kind !== 'docker' || !host.dockerHost)
		throw new Error(`host "${host.id}" is not a Docker Engine (kind ${host.kind})`);
	const conn = connectionOf(host);
	conn.docker ??= createDockerApi({
		host: host.dockerHost,
		timeoutMs: host.timeoutMs,
		tls:
			host.secrets.caPem || host.secrets.tlsCertPem || host.secrets.tlsKeyPem
				? { ca: host.secrets.caPem, cert: host.secrets.tlsCertPem, key: host.secrets.tlsKeyPem }
				: null,
		sshKey: host.secrets.sshKeyPem ?? null,
		sshHostKey: host.secrets.sshHostKey ?? null
	});
	return conn.docker;
}

export type ProbeResult = { ok: true; detail: string } | { ok: false; reason: string };

/** The "test connection" step: can the hub do its job with this host as configured? */
export async function probeHost(host: HostRecord): Promise<ProbeResult> {
	// a host saved before link-local addresses were refused is not probed either
	const linkLocal = [host.url, host.dockerHost, host.nodeExporterUrl].find(
		(u) => u && isLinkLocalOrMetadata(hostnameOf(u))
	);
	if (linkLocal)
		return {
			ok: false,
			reason:
				'a link-local or cloud metadata address is never a host (169.254.x.x, fe80::, metadata.google.internal …)'
		};
	return host.kind === 'vmwarden' ? probeVmwarden(host) : probeDocker(host);
}

function hostnameOf(url: string): string {
	try {
		return new URL(url).hostname;
	} catch {
		return '';
	}
}

export const READ_SCOPE_REFUSAL =
	'this token has read scope: the hub needs an operate-scope token (to restart containers and run actions on that host); create one there under Settings → API tokens';

async function probeVmwarden(host: HostRecord): Promise<ProbeResult> {
	if (!host.url)
		return {
			ok: false,
			reason: 'no URL: a vmwarden host needs its base URL, e.g. https://vm2.example:4004'
		};
	let me: Awaited<ReturnType<VmwardenClient['auth']['me']['query']>>;
	try {
		me = await remoteClient(host).auth.me.query();
	} catch (err) {
		return {
			ok: false,
			reason: describeFailure(err, { what: 'vmwarden', where: host.url, timeoutMs: host.timeoutMs })
		};
	}
	const p = me.principal;
	if (!p) {
		return {
			ok: false,
			reason: host.secrets.token
				? 'the host refused the token (unknown, revoked or expired there): create an operate-scope token on that host under Settings → API tokens'
				: 'no API token: the hub needs an operate-scope token of that host (Settings → API tokens there)'
		};
	}
	if (!hasRole(p, 'operator')) return { ok: false, reason: READ_SCOPE_REFUSAL };
	if (p.via === 'auth-off')
		return {
			ok: true,
			detail: `reached vmwarden at ${host.url}; warning: it runs with VMW_AUTH=off (anyone who reaches it is admin)`
		};
	const hubNote =
		p.via === 'token' && !p.hub
			? ' (an operate token: the host records hub actions under the token alone; a hub-scope token also names the hub user)'
			: '';
	return {
		ok: true,
		detail: `reached vmwarden at ${host.url}; the token has the ${p.role} role${hubNote}`
	};
}

const DOCKER_VERSION = /^\d{1,4}\.\d{1,4}(\.\d{1,4})?([-+~][0-9A-Za-z.]{1,24})?$/;
const DOCKER_API_VERSION = /^\d{1,2}\.\d{1,3}$/;

async function probeDocker(host: HostRecord): Promise<ProbeResult> {
	if (!host.dockerHost)
		return { ok: false, reason: 'no Docker host: expected tcp://host:2376 or ssh://user@host' };
	let detail: string;
	try {
		const api = remoteDockerApi(host);
		await api.ping();
		const v = await api.version();
		// Only a version number is repeated: whatever answers /version on that port or socket
		// (any loopback service) must not have its own words shown (issue 21 item 6).
		if (!DOCKER_VERSION.test(String(v.version)) || !DOCKER_API_VERSION.test(String(v.apiVersion)))
			return { ok: false, reason: `${api.label} answered, but not as a Docker Engine` };
		detail = `Docker ${v.version} (API ${v.apiVersion}) at ${api.label}`;
	} catch (err) {
		return {
			ok: false,
			reason: describeFailure(err, {
				what: 'Docker Engine',
				where: host.dockerHost,
				timeoutMs: host.timeoutMs
			})
		};
	}
	if (!host.nodeExporterUrl)
		return { ok: true, detail: `${detail}; no node_exporter URL (no host figures)` };
	try {
		const res = await remoteFetch(host)(host.nodeExporterUrl, {
			headers: { accept: 'text/plain' }
		});
		const text = await res.text();
		if (!res.ok)
			return {
				ok: false,
				reason: `${detail}, but node_exporter at ${host.nodeExporterUrl} answered HTTP ${res.status}`
			};
		const series = countNodeSeries(text);
		if (series === 0)
			return {
				ok: false,
				reason: `${detail}, but ${host.nodeExporterUrl} is not node_exporter's /metrics (no node_* series in its answer)`
			};
		return { ok: true, detail: `${detail}; node_exporter answers with ${series} node_* series` };
	} catch (err) {
		return {
			ok: false,
			reason: `${detail}, but node_exporter: ${describeFailure(err, { what: 'node_exporter', where: host.nodeExporterUrl, timeoutMs: host.timeoutMs })}`
		};
	}
}

/** Sample lines of node_exporter's own metrics (`node_…{…} value`) in a Prometheus text answer. */
export function countNodeSeries(text: string): number {
	let n = 0;
	for (const line of text.split('\n')) if (/^node_[a-zA-Z0-9_]*(\{[^}]*\})?\s+\S+/.test(line)) n++;
	return n;
}
