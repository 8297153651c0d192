// URLs carry secrets in three places: user:pass@, the query (?token=) and the path (Slack and
// Discord webhooks keep their key there). What a person, a log line or the audit record is shown
// of a URL is its scheme and host only (issue 21 item 3); the credentials travel as a header.

/** `https://hooks.example.com/…`: scheme and host, `/…` when a path or query was dropped. */
export function shownUrl(url: string | URL): string {
	let u: URL;
	try {
		u = typeof url === 'string' ? new URL(url) : url;
	} catch {
		return 'an invalid URL';
	}
	const dropped = (u.pathname !== '/' && u.pathname !== '') || u.search !== '' || u.hash !== '';
	return `${u.protocol}//${u.host}${dropped ? '/…' : ''}`;
}

/** A URL in running text: a scheme, `://`, then anything up to white space or a quote. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]{1,15}:\/\/[^\s"'<>`]+/gi;

/** Every URL in `text` as shownUrl shows it: an error message fit for a response, a log line or a stored row. */
export function scrubUrls(text: string): string {
	return text.replace(URL_IN_TEXT, (m) => {
		const trailing = /[.,;:)\]]+$/.exec(m)?.[0] ?? ''; // sentence punctuation after the URL stays
		const bare = trailing ? m.slice(0, -trailing.length) : m;
		try {
			return shownUrl(new URL(bare)) + trailing;
		} catch {
			return `${bare.slice(0, bare.indexOf('://') + 3)}…${trailing}`;
		}
	});
}

/**
 * fetch() refuses a URL with credentials (`https://user:pass@host/`): the URL without them and
 * them as a Basic `authorization` header value (null without credentials).
 */
export function credentialsToHeader(url: string | URL): { url: URL; authorization: string | null } {
	const u = new URL(String(url));
	if (!u.username && !u.password) return { url: u, authorization: null };
	const authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
	u.username = '';
	u.password = '';
	return { url: u, authorization };
}
