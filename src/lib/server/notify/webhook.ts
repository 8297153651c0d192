// A generic webhook: JSON POST, signed so the receiver can check it came from this app.
// Headers: X-Vmwarden-Timestamp (unix seconds) and X-Vmwarden-Signature:
// `sha256=<hex HMAC-SHA256 over "<timestamp>.<body>" with VMW_WEBHOOK_SECRET>`; the timestamp
// lets a receiver refuse replays. The secret is never sent, logged or returned.
import { createHmac } from 'node:crypto';
import { credentialsToHeader, scrubUrls, shownUrl } from '../net/url-secrets';

export interface WebhookPayload {
	kind: 'alert' | 'recovery' | 'daily' | 'digest' | 'test';
	hostId: string;
	/** rule key for alerts, week for the digest */
	key?: string;
	severity?: 'WARN' | 'CRIT' | 'INFO';
	/** the message as plain text */
	text: string;
	/** the same message in Telegram's HTML */
	html: string;
	at: string;
}

export function signWebhook(secret: string, timestampS: number, body: string): string {
	return 'sha256=' + createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex');
}

export function createWebhookSender({
	url,
	secret,
	timeoutMs = 10_000,
	attempts = 3,
	backoffMs = 1000,
	sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
	now = Date.now
}: {
	url: string;
	secret: string | null;
	timeoutMs?: number;
	attempts?: number;
	backoffMs?: number;
	sleep?: (ms: number) => Promise<void>;
	now?: () => number;
}) {
	let last: { ok: boolean; detail: string; at: number } | null = null;
	// Shown to viewers (alerts.status, /digest) and stored in the audit record: the host only. The
	// path is where Slack and Discord keep the key; user:pass goes as a header (fetch refuses it in the URL).
	const shown = shownUrl(url);
	const { url: target, authorization } = credentialsToHeader(url);
	return {
		async send(payload: WebhookPayload): Promise<void> {
			const body = JSON.stringify(payload);
			const ts = Math.floor(now() / 1000);
			const headers: Record<string, string> = {
				'content-type': 'application/json',
				'x-vmwarden-timestamp': String(ts)
			};
			if (secret) headers['x-vmwarden-signature'] = signWebhook(secret, ts, body);
			if (authorization) headers.authorization = authorization;
			let detail = '';
			for (let attempt = 1; attempt <= attempts; attempt++) {
				try {
					const res = await fetch(target, {
						method: 'POST',
						headers,
						body,
						signal: AbortSignal.timeout(timeoutMs)
					});
					await res.arrayBuffer().catch(() => undefined);
					if (res.ok) {
						last = { ok: true, detail: `last POST to ${shown} answered ${res.status}`, at: now() };
						return;
					}
					detail = `${shown} answered ${res.status}`;
					if (res.status < 500 && res.status !== 429) break;
				} catch (err) {
					detail = `${shown} unreachable: ${scrubUrls(err instanceof Error ? describeFetchError(err) : String(err))}`;
				}
				if (attempt < attempts) await sleep(backoffMs * 2 ** (attempt - 1));
			}
			last = { ok: false, detail, at: now() };
			throw new Error(`webhook failed: ${detail}`);
		},
		state() {
			return last ?? { ok: true, detail: `configured (${shown}); nothing sent yet`, at: null };
		}
	};
}

export type WebhookSender = ReturnType<typeof createWebhookSender>;

/** "fetch failed" says nothing: the socket error's code (ECONNREFUSED …) is in its cause. */
function describeFetchError(err: Error): string {
	const cause = err.cause as { code?: string; message?: string } | undefined;
	return cause?.code ? `${err.message} (${cause.code})` : err.message;
}
