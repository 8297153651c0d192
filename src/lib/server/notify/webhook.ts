// A generic webhook: JSON POST, signed so the receiver can check it came from this app.
// Headers: X-Vmwarden-Timestamp (unix seconds) and X-Vmwarden-Signature:
// `sha256=<hex HMAC-SHA256 over "<timestamp>.<body>" with VMW_WEBHOOK_SECRET>`; the timestamp
// lets a receiver refuse replays. The secret is never sent, logged or returned.
import { createHmac } from 'node:crypto';

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

export function createWebhookSender({ url, secret, timeoutMs = 10_000, attempts = 3, backoffMs = 1000, sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)), now = Date.now }: { url: string; secret: string | null; timeoutMs?: number; attempts?: number; backoffMs?: number; sleep?: (ms: number) => Promise<void>; now?: () => number }) {
	let last: { ok: boolean; detail: string; at: number } | null = null;
	const shown = (() => {
		try {
			const u = new URL(url);
			return `${u.protocol}//${u.host}${u.pathname}`; // no query string: it may carry a key
		} catch {
			return 'the webhook';
		}
	})();
	return {
		async send(payload: WebhookPayload): Promise<void> {
			const body = JSON.stringify(payload);
			const ts = Math.floor(now() / 1000);
			const headers: Record<string, string> = { 'content-type': 'application/json', 'x-vmwarden-timestamp': String(ts) };
			if (secret) headers['x-vmwarden-signature'] = signWebhook(secret, ts, body);
			let detail = '';
			for (let attempt = 1; attempt <= attempts; attempt++) {
				try {
					const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
					await res.arrayBuffer().catch(() => undefined);
					if (res.ok) {
						last = { ok: true, detail: `last POST to ${shown} answered ${res.status}`, at: now() };
						return;
					}
					detail = `${shown} answered ${res.status}`;
					if (res.status < 500 && res.status !== 429) break;
				} catch (err) {
					detail = `${shown} unreachable: ${err instanceof Error ? err.message : String(err)}`;
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
