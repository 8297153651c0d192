// What a registered host may look like (issue 15): the admin router's strict zod inputs and the
// registry's own checks (it re-checks everything, whoever calls it). Hostile input in mind: every
// string bounded, URLs of the kind's schemes only, PEMs parsed, no credentials inside URLs.
import { z } from 'zod';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { HostKind, HostSecrets } from './types';
import { parseSshHostKeys } from '../docker/connection';

export const HOST_ID = /^[A-Za-z0-9._-]+$/;
/** Ids a host may not take: `all` is the overview's "every host". */
export const RESERVED_HOST_IDS = new Set(['all']);
export const TIMEOUT_MS = { min: 100, max: 60_000, default: 5_000 };
export const LIMITS = {
	name: 100,
	url: 2048,
	token: 512,
	/** a CA bundle or chain */
	certPem: 64 * 1024,
	keyPem: 16 * 1024
};
export const SECRET_KEYS = [
	'token',
	'caPem',
	'tlsCertPem',
	'tlsKeyPem',
	'sshKeyPem',
	'sshHostKey'
] as const satisfies readonly (keyof HostSecrets)[];
export type SecretKey = (typeof SECRET_KEYS)[number];

export const hostIdField = z
	.string()
	.min(1)
	.max(64)
	.regex(HOST_ID, 'a host id is letters, digits, dot, dash or underscore')
	.refine((id) => !RESERVED_HOST_IDS.has(id.toLowerCase()), 'this id is reserved');
const nameField = z
	.string()
	.trim()
	.min(1, 'give the host a name')
	.max(LIMITS.name)
	// eslint-disable-next-line no-control-regex -- control characters are what it refuses
	.refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'no control characters');
const urlField = z.string().trim().max(LIMITS.url);
const timeoutField = z.number().int().min(TIMEOUT_MS.min).max(TIMEOUT_MS.max);

const pem = (max: number, what: string) =>
	z
		.string()
		.max(max, `${what}: at most ${Math.round(max / 1024)} KiB`)
		.refine(
			(s) => /-----BEGIN [A-Z0-9 ]+-----[\s\S]+-----END [A-Z0-9 ]+-----/.test(s),
			`${what}: expected PEM text (-----BEGIN …----- … -----END …-----)`
		);

/** Credentials as the admin types them: a string sets, null clears, absent keeps (on update). */
export const secretsInput = z
	.object({
		token: z
			.string()
			.trim()
			.min(1)
			.max(LIMITS.token)
			.regex(/^[\x21-\x7e]+$/, 'a token is printable characters without spaces')
			.nullable()
			.optional(),
		caPem: pem(LIMITS.certPem, 'CA certificate').nullable().optional(),
		tlsCertPem: pem(LIMITS.certPem, 'client certificate').nullable().optional(),
		tlsKeyPem: pem(LIMITS.keyPem, 'client key').nullable().optional(),
		sshKeyPem: pem(LIMITS.keyPem, 'SSH private key').nullable().optional(),
		sshHostKey: z
			.string()
			.max(LIMITS.keyPem, `SSH host key: at most ${LIMITS.keyPem / 1024} KiB`)
			.refine(
				(s) => parseSshHostKeys(s).length > 0,
				'SSH host key: expected a line such as `ssh-ed25519 AAAAC3…` (from `ssh-keyscan -t ed25519 host`)'
			)
			.nullable()
			.optional()
	})
	.strict();
export type SecretsInput = z.infer<typeof secretsInput>;

/** A new host (admin `hosts.add`, and a draft for `hosts.test`). */
export const hostDraftInput = z
	.object({
		id: hostIdField,
		name: nameField,
		kind: z.enum(['vmwarden', 'docker']),
		url: urlField.nullable().optional(),
		dockerHost: urlField.nullable().optional(),
		nodeExporterUrl: urlField.nullable().optional(),
		timeoutMs: timeoutField.optional(),
		secrets: secretsInput.optional()
	})
	.strict();
export type HostDraft = z.infer<typeof hostDraftInput>;

/** An edit: the kind and id stay; fields absent keep their value, secrets per key (absent = keep). */
export const hostPatchInput = hostDraftInput.omit({ id: true, kind: true }).partial().strict();
export type HostPatch = z.infer<typeof hostPatchInput>;

export function isLoopbackHostname(h: string): boolean {
	const host = h.replace(/^\[|\]$/g, '').toLowerCase();
	return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Cloud metadata services by name (their addresses are link-local or listed below). */
const METADATA_NAMES = new Set([
	'metadata.google.internal',
	'metadata.goog',
	'metadata',
	'instance-data',
	'instance-data.ec2.internal',
	'metadata.azure.internal'
]);

/**
 * A link-local or cloud-metadata address (169.254.0.0/16 — 169.254.169.254 is the metadata
 * service of most clouds —, fe80::/10, fd00:ec2::254, Alibaba's 100.100.100.200): never a host
 * to register. The hub's requests carry its token, and "test connection" tells what answered.
 */
export function isLinkLocalOrMetadata(h: string): boolean {
	const host = h
		.replace(/^\[|\]$/g, '')
		.toLowerCase()
		.replace(/\.$/, '');
	if (METADATA_NAMES.has(host)) return true;
	if (/^169\.254\.\d{1,3}\.\d{1,3}$/.test(host) || host === '100.100.100.200') return true;
	if (/^fe[89ab][0-9a-f]?:/.test(host) || host === 'fd00:ec2::254') return true;
	// an IPv4-mapped IPv6 address of either: ::ffff:169.254.169.254, ::ffff:a9fe:a9fe
	return /^::ffff:(169\.254\.|a9fe:)/.test(host);
}

const LINK_LOCAL_REFUSAL =
	'a link-local or cloud metadata address is never a host (169.254.x.x, fe80::, metadata.google.internal …)';

function parseUrl(s: string): URL | null {
	try {
		return new URL(s);
	} catch {
		return null;
	}
}

/** The fields of a complete host, after merging a patch: every rule of its kind. Returns problems (empty = fine). */
export function checkHost(h: {
	kind: HostKind;
	url: string | null;
	dockerHost: string | null;
	nodeExporterUrl: string | null;
	secrets: HostSecrets;
}): string[] {
	const problems: string[] = [];
	const s = h.secrets;
	const httpUrl = (value: string, field: string, what: string) => {
		const u = parseUrl(value);
		if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:'))
			return problems.push(`${field}: expected an http(s) URL such as ${what}`);
		if (u.username || u.password)
			return problems.push(
				`${field}: no user or password inside the URL (credentials go in their own fields, encrypted)`
			);
		if (u.search || u.hash) return problems.push(`${field}: no query or fragment`);
		if (isLinkLocalOrMetadata(u.hostname)) return problems.push(`${field}: ${LINK_LOCAL_REFUSAL}`);
		// node_exporter gets no credentials: plain http is its usual setup
		if (u.protocol === 'http:' && field === 'url' && !isLoopbackHostname(u.hostname))
			return problems.push(
				`${field}: use https:// — plain http:// is accepted only on loopback (the token would cross the network in clear)`
			);
	};
	if (h.kind === 'vmwarden') {
		if (!h.url)
			problems.push('url: a vmwarden host needs its base URL, e.g. https://vm2.example:4004');
		else httpUrl(h.url, 'url', 'https://vm2.example:4004');
		if (h.dockerHost)
			problems.push(
				'dockerHost: only for a bare Docker host (a vmwarden host is reached through its own API)'
			);
		if (h.nodeExporterUrl)
			problems.push(
				'nodeExporterUrl: only for a bare Docker host (a vmwarden host samples itself)'
			);
		for (const k of ['tlsCertPem', 'tlsKeyPem', 'sshKeyPem', 'sshHostKey'] as const)
			if (s[k]) problems.push(`secrets.${k}: only for a bare Docker host`);
	} else {
		if (h.url) problems.push('url: only for a vmwarden host (a Docker host has dockerHost)');
		if (s.token)
			problems.push(
				'secrets.token: only for a vmwarden host (Docker uses TLS client certificates or an SSH key)'
			);
		if (!h.dockerHost) problems.push('dockerHost: expected tcp://host:2376 or ssh://user@host');
		else problems.push(...checkDockerHost(h.dockerHost, s));
		if (h.nodeExporterUrl)
			httpUrl(h.nodeExporterUrl, 'nodeExporterUrl', 'http://10.0.0.5:9100/metrics');
	}
	if (!s.tlsCertPem !== !s.tlsKeyPem)
		problems.push('secrets: a TLS client certificate needs both its certificate and its key');
	problems.push(...checkPems(s));
	return problems;
}

function checkDockerHost(dockerHost: string, s: HostSecrets): string[] {
	// unix:// is for a Docker Engine on the hub's own machine (a second daemon, a socket proxy):
	// registering one needs the admin role, who already controls this instance.
	if (dockerHost.startsWith('unix://')) {
		const p = dockerHost.slice('unix://'.length);
		if (!p.startsWith('/') || p.includes('\0') || p.split('/').includes('..') || p.length > 107)
			return ['dockerHost: unix:// needs an absolute socket path (at most 107 characters, no ..)'];
		if (s.caPem || s.tlsCertPem || s.sshKeyPem || s.sshHostKey)
			return ['secrets: a unix:// socket takes no TLS or SSH credentials'];
		return [];
	}
	const u = parseUrl(dockerHost);
	if (!u)
		return ['dockerHost: expected tcp://host:2376, ssh://user@host or unix:///path/docker.sock'];
	if (isLinkLocalOrMetadata(u.hostname)) return [`dockerHost: ${LINK_LOCAL_REFUSAL}`];
	if (u.protocol === 'tcp:') {
		if (!u.hostname || !u.port) return ['dockerHost: expected tcp://host:port'];
		if (u.username || u.password || (u.pathname && u.pathname !== '/') || u.search)
			return ['dockerHost: expected tcp://host:port and nothing else'];
		if (s.sshKeyPem || s.sshHostKey) return ['secrets: SSH keys are for ssh://, not tcp://'];
		const tls = Boolean(s.caPem || s.tlsCertPem);
		if (!tls && !isLoopbackHostname(u.hostname))
			return [
				'dockerHost: a tcp:// Docker Engine off loopback needs TLS: give its CA certificate and a client certificate and key (the Docker API is root on that host)'
			];
		return [];
	}
	if (u.protocol === 'ssh:') {
		if (!u.hostname) return ['dockerHost: expected ssh://user@host[:port]'];
		if (u.password) return ['dockerHost: no password inside the URL: give an SSH private key'];
		if ((u.pathname && u.pathname !== '/') || u.search)
			return ['dockerHost: expected ssh://user@host[:port] and nothing else'];
		if (!s.sshKeyPem) return ['secrets.sshKeyPem: an ssh:// Docker host needs an SSH private key'];
		if (!s.sshHostKey)
			return [
				'secrets.sshHostKey: an ssh:// Docker host needs its host key pinned (the line `ssh-keyscan -t ed25519 host` prints, checked against a fingerprint you trust)'
			];
		if (s.caPem || s.tlsCertPem) return ['secrets: TLS certificates are for tcp://, not ssh://'];
		return [];
	}
	return [`dockerHost: unsupported scheme ${u.protocol} (expected tcp://, ssh:// or unix://)`];
}

function checkPems(s: HostSecrets): string[] {
	const out: string[] = [];
	const certs = (pemText: string) =>
		pemText.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
	for (const [k, what] of [
		['caPem', 'CA certificate'],
		['tlsCertPem', 'client certificate']
	] as const) {
		const v = s[k];
		if (!v) continue;
		const list = certs(v);
		if (list.length === 0)
			out.push(`secrets.${k}: expected a PEM certificate (-----BEGIN CERTIFICATE-----)`);
		for (const c of list) {
			try {
				new X509Certificate(c);
			} catch {
				out.push(`secrets.${k}: the ${what} does not parse`);
				break;
			}
		}
	}
	if (s.tlsKeyPem) {
		if (/ENCRYPTED/.test(s.tlsKeyPem))
			out.push(
				'secrets.tlsKeyPem: the key is passphrase-protected: give it without a passphrase (it is stored encrypted)'
			);
		else
			try {
				createPrivateKey(s.tlsKeyPem);
			} catch {
				out.push('secrets.tlsKeyPem: not a PEM private key');
			}
	}
	if (s.sshKeyPem) {
		if (!/-----BEGIN (OPENSSH|RSA|EC|DSA)? ?PRIVATE KEY-----/.test(s.sshKeyPem))
			out.push(
				'secrets.sshKeyPem: expected a private key (-----BEGIN OPENSSH PRIVATE KEY----- or PEM)'
			);
		else if (opensshCipher(s.sshKeyPem) === 'unreadable')
			out.push('secrets.sshKeyPem: not a readable OpenSSH private key');
		else if (/ENCRYPTED/.test(s.sshKeyPem) || opensshCipher(s.sshKeyPem) !== 'none')
			out.push(
				'secrets.sshKeyPem: the key is passphrase-protected: give it without a passphrase (it is stored encrypted)'
			);
	}
	return out;
}

/** The cipher of an OpenSSH private key ('none' = no passphrase); 'none' for other formats (checked by their header). */
export function opensshCipher(pemText: string): string {
	const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]+?)-----END OPENSSH PRIVATE KEY-----/.exec(
		pemText
	);
	if (!m) return 'none';
	const raw = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
	const magic = 'openssh-key-v1\0';
	if (raw.subarray(0, magic.length).toString('latin1') !== magic || raw.length < magic.length + 4)
		return 'unreadable';
	const len = raw.readUInt32BE(magic.length);
	if (len > 64 || raw.length < magic.length + 4 + len) return 'unreadable';
	return raw.subarray(magic.length + 4, magic.length + 4 + len).toString('latin1');
}
