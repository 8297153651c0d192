// The hosts registry's shapes (issue 15): every VM the hub shows besides its own. Shared by the
// registry (hosts/registry.ts: table, encryption, admin router) and the hub (hub/: remote
// clients, fan-out, proxy), which code against these types and nothing else of each other.
// Decision 0013.

/**
 * - `vmwarden`: a vmwarden instance on that VM, reached over HTTP(S) with an API token of
 *   `operate` scope through the typed client; every router is forwarded to it.
 * - `docker`: a bare Docker Engine (`tcp://` + TLS client certificates, or `ssh://`) plus an
 *   optional node_exporter URL: containers, logs, restart and host figures only.
 */
export type HostKind = 'vmwarden' | 'docker';

/** What may leave the server: no credential, ever (the browser sees `has*` flags only). */
export interface HostView {
	/** stable id, the `hostId` every query takes (same rules as hostIdSchema) */
	id: string;
	/** display name */
	name: string;
	kind: HostKind;
	/** vmwarden: base URL, e.g. https://vm2.example:4004 */
	url: string | null;
	/** docker: tcp://host:2376 or ssh://user@host */
	dockerHost: string | null;
	/** docker: node_exporter's /metrics URL, for host figures */
	nodeExporterUrl: string | null;
	/** per-host timeout of each call from the hub, ms */
	timeoutMs: number;
	hasToken: boolean;
	hasCaPem: boolean;
	hasTlsClient: boolean;
	hasSshKey: boolean;
	createdAt: number;
	updatedAt: number;
}

/** Credentials, stored encrypted at rest (AES-256-GCM, key from VMW_SECRET_KEY); server-side only. */
export interface HostSecrets {
	/** vmwarden: API token of `operate` scope */
	token?: string;
	/** vmwarden: PEM of a CA to pin (TLS is always verified) / docker: the TLS CA */
	caPem?: string;
	/** docker tcp:// TLS client certificate and key (PEM) */
	tlsCertPem?: string;
	tlsKeyPem?: string;
	/** docker ssh://: private key (PEM/OpenSSH) */
	sshKeyPem?: string;
	/**
	 * docker ssh://: the server's public host key line(s), as `ssh-keyscan` prints them: the
	 * connection is refused unless the server shows one of them (not secret; kept with the
	 * credentials). Required for ssh://, as TLS is always verified for tcp://.
	 */
	sshHostKey?: string;
}

export interface HostRecord extends HostView {
	secrets: HostSecrets;
}

/** The registry as the hub sees it. The local machine is not in it: it is `config.hostId`. */
export interface HostRegistry {
	list(): Promise<HostView[]>;
	/** with decrypted secrets; null when no such host */
	get(id: string): Promise<HostRecord | null>;
	/** called after every add/edit/remove, with the host's id (drop cached clients) */
	onChange(listener: (id: string) => void): () => void;
}
