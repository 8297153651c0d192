// The plain block printed once the app has started (besides the JSON log): where to open it,
// where the API token is, and on first start how to claim the install.
//
// The setup token is printed BESIDE the /setup URL, never inside it: behind the documented
// Caddy proxy the access log records every request URI with its query string (so do browser
// history and Referer headers), and a one-time token sitting in a log before setup is done
// lets whoever reads that log claim the admin account.

export interface BannerInput {
	host: string;
	port: number;
	/** VMW_ORIGIN: the public URL behind a proxy. */
	origin: string | null;
	/** Absolute path of the generated token file; null when VMW_API_TOKEN sets it. */
	apiTokenFile: string | null;
	/** Present until /setup is done. */
	setupToken: string | null;
	authEnabled: boolean;
}

const ANY = new Set(['0.0.0.0', '::', '']);

/** The URL a person on this machine opens: the public origin if set, else loopback for a wildcard bind. */
export function localUrl({
	host,
	port,
	origin
}: Pick<BannerInput, 'host' | 'port' | 'origin'>): string {
	if (origin) return origin.replace(/\/+$/, '');
	const h = ANY.has(host) ? 'localhost' : host.includes(':') ? `[${host}]` : host;
	return `http://${h}:${port}`;
}

export function startBanner(b: BannerInput): string {
	const url = localUrl(b);
	const lines = [`vmwarden is running: ${url}`];
	if (ANY.has(b.host))
		lines.push(
			`  listening on every interface, port ${b.port} (VMW_HOST=127.0.0.1 keeps it on this machine)`
		);
	if (!b.authEnabled)
		lines.push('  auth is OFF (VMW_AUTH=off): anyone who reaches the port is admin');
	else {
		lines.push(
			b.apiTokenFile
				? `  read-only API token: ${b.apiTokenFile}\n    curl -H "Authorization: Bearer $(cat ${b.apiTokenFile})" ${url}/api/vm/health`
				: '  read-only API token: the value of VMW_API_TOKEN'
		);
		if (b.setupToken)
			lines.push(
				`  first start: open ${url}/setup and paste this one-time setup token:`,
				`    ${b.setupToken}`,
				'  (it is not put in the URL, where proxy access logs would keep it)'
			);
	}
	return lines.join('\n') + '\n';
}
