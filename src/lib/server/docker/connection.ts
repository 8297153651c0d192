// Turns VMW_DOCKER_HOST (+ cert dir and timeout) into dockerode/docker-modem options.
// Every field is set explicitly: docker-modem otherwise fills gaps from the process's own
// DOCKER_HOST / DOCKER_CERT_PATH, and config.ts is the only reader of the environment.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface DockerConnection {
	/** unix:///var/run/docker.sock, tcp://host:2376, ssh://user@host[:port] */
	host: string;
	/** Directory with ca.pem, cert.pem, key.pem: tcp:// then uses TLS with verification. */
	certPath?: string | null;
	/**
	 * tcp://: TLS material as PEM strings (a registered host's decrypted secrets), used instead of
	 * certPath. Any of them turns TLS on; the server is always verified (against `ca` when given,
	 * else the system CAs); `cert` + `key` are the client certificate.
	 */
	tls?: { ca?: string; cert?: string; key?: string } | null;
	/** ssh://: the private key (PEM/OpenSSH) instead of the ssh agent. */
	sshKey?: string | null;
	/** ssh://: accepted server host keys (ssh-keyscan / known_hosts lines); when given, any other key is refused. */
	sshHostKey?: string | null;
	/** Per-request socket timeout (ms); every adapter call is also time-boxed on its own. */
	timeoutMs: number;
}

export interface ModemOptions {
	socketPath?: string;
	host?: string;
	port?: number;
	protocol?: 'http' | 'https' | 'ssh';
	username?: string;
	ca?: Buffer;
	cert?: Buffer;
	key?: Buffer;
	/** socket timeout; absent for ssh:// (see there) */
	timeout?: number;
	sshOptions?: Record<string, unknown>;
	/** a short description for logs and /healthz, never with credentials */
	label: string;
}

/** Parses the host URL. Throws with a clear message for anything it cannot use. */
export function modemOptions(
	{ host, certPath, tls, sshKey, sshHostKey, timeoutMs }: DockerConnection,
	readFile: (p: string) => Buffer = (p) => readFileSync(p)
): ModemOptions {
	// Reset every field docker-modem would otherwise take from its own defaults (its environment: DOCKER_HOST etc.).
	const base = {
		socketPath: undefined,
		host: undefined,
		port: undefined,
		protocol: undefined,
		username: undefined,
		ca: undefined,
		cert: undefined,
		key: undefined,
		timeout: timeoutMs
	};
	if (host.startsWith('unix://')) {
		const socketPath = host.slice('unix://'.length);
		if (!socketPath.startsWith('/'))
			throw new Error(`VMW_DOCKER_HOST ${host}: expected an absolute socket path after unix://`);
		return { ...base, socketPath, label: `unix://${socketPath}` };
	}
	if (host.startsWith('npipe://')) {
		return {
			...base,
			socketPath: host.slice('npipe://'.length) || '//./pipe/docker_engine',
			label: host
		};
	}
	let url: URL;
	try {
		url = new URL(host);
	} catch {
		throw new Error(
			`VMW_DOCKER_HOST ${host}: not a URL (expected tcp://host:port or ssh://user@host)`
		);
	}
	if (url.protocol === 'tcp:') {
		if (!url.hostname || !url.port)
			throw new Error(`VMW_DOCKER_HOST ${host}: expected tcp://host:port`);
		const hostname = url.hostname.replace(/^\[|\]$/g, '');
		if (tls && (tls.ca || tls.cert || tls.key)) {
			if (!tls.cert !== !tls.key)
				throw new Error(`${host}: a TLS client certificate needs both its certificate and its key`);
			const pem = (s: string | undefined) => (s ? Buffer.from(s) : undefined);
			return {
				...base,
				host: hostname,
				port: Number(url.port),
				protocol: 'https',
				ca: pem(tls.ca),
				cert: pem(tls.cert),
				key: pem(tls.key),
				label: `tcp+tls://${hostname}:${url.port}`
			};
		}
		if (certPath) {
			const file = (name: string) => readFile(path.join(certPath, name));
			return {
				...base,
				host: hostname,
				port: Number(url.port),
				protocol: 'https',
				ca: file('ca.pem'),
				cert: file('cert.pem'),
				key: file('key.pem'),
				label: `tcp+tls://${hostname}:${url.port}`
			};
		}
		return {
			...base,
			host: hostname,
			port: Number(url.port),
			protocol: 'http',
			label: `tcp://${hostname}:${url.port}`
		};
	}
	if (url.protocol === 'ssh:') {
		if (!url.hostname) throw new Error(`VMW_DOCKER_HOST ${host}: expected ssh://user@host`);
		return {
			...base,
			host: url.hostname,
			port: Number(url.port || 22),
			protocol: 'ssh',
			// No socket timeout over ssh: docker-modem would call setTimeout on the ssh2 channel, which
			// has none, and that TypeError is thrown outside any promise (it crashes the process).
			// Every call is time-boxed by the adapter anyway (abort signal + race), and the SSH
			// handshake by readyTimeout.
			timeout: undefined,
			username: decodeURIComponent(url.username) || undefined,
			// docker-modem runs `docker system dial-stdio` on the remote side over ssh2;
			// keys come from `sshKey` (a registered host) or else the ssh agent (SSH_AUTH_SOCK, read by docker-modem itself).
			sshOptions: {
				readyTimeout: timeoutMs,
				...(sshKey ? { privateKey: sshKey } : {}),
				...(sshHostKey ? { hostVerifier: hostKeyVerifier(sshHostKey) } : {})
			},
			label: `ssh://${url.username ? `${decodeURIComponent(url.username)}@` : ''}${url.hostname}${url.port ? `:${url.port}` : ''}`
		};
	}
	throw new Error(
		`VMW_DOCKER_HOST ${host}: unsupported scheme ${url.protocol} (expected unix://, tcp:// or ssh://)`
	);
}

/** The key blobs of ssh-keyscan / known_hosts / authorized_keys lines (`[host] type base64 [comment]`). */
export function parseSshHostKeys(text: string): Buffer[] {
	const keys: Buffer[] = [];
	for (const line of text.split('\n')) {
		const words = line.trim().split(/\s+/);
		if (words[0]?.startsWith('#')) continue;
		const i = words.findIndex((w) =>
			/^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-[a-z0-9@.-]+)$/.test(w)
		);
		if (i < 0 || !words[i + 1] || !/^[A-Za-z0-9+/]+=*$/.test(words[i + 1])) continue;
		const blob = Buffer.from(words[i + 1], 'base64');
		// the blob starts with its own type name: a pasted line cannot claim another type
		if (
			blob.length > 4 &&
			blob.subarray(4, 4 + blob.readUInt32BE(0)).toString('latin1') === words[i]
		)
			keys.push(blob);
	}
	return keys;
}

/** ssh2's hostVerifier: true only for a host key among the pinned ones (raw key blobs compared). */
export function hostKeyVerifier(text: string): (key: Buffer) => boolean {
	const pinned = parseSshHostKeys(text);
	return (key) => pinned.some((k) => k.equals(key));
}
