// Telegram Bot API sendMessage. The token lives only in the URL of the request to Telegram:
// never in a return value, a log line, an error message or a state the app shows (each text
// that could echo it is passed through `scrub`).
import { readFile } from 'node:fs/promises';
import type { Logger } from '../log';
import { splitMessage } from './html';

export interface TelegramCredentials {
	token: string;
	chatId: string;
}

/**
 * Reads TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID from the env file the host scripts use
 * (VMW_TELEGRAM_ENV_FILE, scripts/lib/vmw-common.sh telegram_send): KEY=VALUE lines, optional
 * `export `, optional quotes; the file is read, never executed. Returns the reason when unusable.
 */
export async function readTelegramEnv(
	file: string
): Promise<TelegramCredentials | { reason: string }> {
	let text: string;
	try {
		text = await readFile(file, 'utf8');
	} catch (err) {
		return {
			reason: `telegram env file ${file} is missing or unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'})`
		};
	}
	return parseTelegramEnv(text, file);
}

export function parseTelegramEnv(
	text: string,
	file = 'the telegram env file'
): TelegramCredentials | { reason: string } {
	let token = '';
	let chatId = '';
	for (const raw of text.split('\n')) {
		const m = /^\s*(?:export\s+)?([A-Z_]+)=(.*)$/.exec(raw.replace(/\r$/, ''));
		if (!m) continue;
		const value = m[2]
			.replace(/^"(.*)"$/, '$1')
			.replace(/^'(.*)'$/, '$1')
			.trim();
		if (m[1] === 'TELEGRAM_BOT_TOKEN') token = value;
		if (m[1] === 'TELEGRAM_CHAT_ID') chatId = value;
	}
	if (!token || !chatId)
		return { reason: `TELEGRAM_BOT_TOKEN or TELEGRAM_CHAT_ID missing in ${file}` };
	if (!/^[A-Za-z0-9:_-]+$/.test(token))
		return { reason: `TELEGRAM_BOT_TOKEN in ${file} has unexpected characters` };
	if (!/^(-?\d+|@[A-Za-z0-9_]{4,})$/.test(chatId))
		return { reason: `TELEGRAM_CHAT_ID in ${file} is not a chat id or @channel` };
	return { token, chatId };
}

/** 401/403: the bot token (or the bot's access to the chat) is refused; retrying cannot help. */
export class TelegramConfigError extends Error {
	readonly kind = 'config' as const;
}
export class TelegramSendError extends Error {
	readonly kind = 'send' as const;
}

export type SenderState =
	| { state: 'unconfigured'; detail: string }
	| { state: 'ok'; detail: string; lastOkAt: number | null }
	| { state: 'rejected'; detail: string; at: number }
	| { state: 'failing'; detail: string; at: number; lastOkAt: number | null };

export interface TelegramOptions {
	/** VMW_TELEGRAM_API_URL, e.g. https://api.telegram.org */
	apiUrl: string;
	/** Re-read on each send, so editing the env file needs no restart. */
	credentials: () => Promise<TelegramCredentials | { reason: string }>;
	timeoutMs?: number;
	/** 5xx and network errors: attempts in all, with backoff 1 s, 2 s, 4 s … */
	attempts?: number;
	backoffMs?: number;
	/** A 429's retry_after is honoured up to this; beyond it the send fails. */
	maxRetryWaitMs?: number;
	sleep?: (ms: number) => Promise<void>;
	now?: () => number;
	log?: Logger;
}

export interface SendResult {
	/** message ids, one per part */
	messageIds: number[];
	parts: number;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function createTelegramSender({
	apiUrl,
	credentials,
	timeoutMs = 15_000,
	attempts = 4,
	backoffMs = 1000,
	maxRetryWaitMs = 60_000,
	sleep = defaultSleep,
	now = Date.now,
	log
}: TelegramOptions) {
	let state: SenderState = { state: 'ok', detail: 'nothing sent yet', lastOkAt: null };
	let lastOkAt: number | null = null;
	const base = apiUrl.replace(/\/+$/, '');

	async function sendPart(creds: TelegramCredentials, text: string): Promise<number> {
		const scrub = (s: string) => s.split(creds.token).join('<token>');
		let attempt = 0;
		let rateLimited = 0;
		for (;;) {
			attempt++;
			let status: number;
			let body: {
				ok?: boolean;
				description?: string;
				result?: { message_id?: number };
				parameters?: { retry_after?: number };
			};
			try {
				const res = await fetch(`${base}/bot${creds.token}/sendMessage`, {
					method: 'POST',
					headers: { 'content-type': 'application/json' },
					body: JSON.stringify({
						chat_id: creds.chatId,
						text,
						parse_mode: 'HTML',
						disable_web_page_preview: true
					}),
					signal: AbortSignal.timeout(timeoutMs)
				});
				status = res.status;
				body = await res.json().catch(() => ({}));
			} catch (err) {
				// undici puts the URL (with the token) in some messages: scrub before keeping any text
				const msg = scrub(
					err instanceof Error
						? err.cause instanceof Error
							? err.cause.message
							: err.message
						: String(err)
				);
				if (attempt < attempts) {
					await sleep(backoffMs * 2 ** (attempt - 1));
					continue;
				}
				throw new TelegramSendError(`telegram unreachable: ${msg}`);
			}
			const desc = scrub(String(body.description ?? '')).slice(0, 300);
			if (status === 200 && body.ok) return body.result?.message_id ?? 0;
			if (status === 401 || status === 403 || status === 404)
				throw new TelegramConfigError(
					`bot token rejected: Telegram answered ${status} ${desc || '(no description)'}; check TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID`
				);
			if (status === 429) {
				const waitMs = Math.max(1, Number(body.parameters?.retry_after) || 1) * 1000;
				if (waitMs > maxRetryWaitMs || rateLimited >= 3)
					throw new TelegramSendError(`telegram rate limit: retry after ${waitMs / 1000} s`);
				rateLimited++;
				attempt--; // a 429 is Telegram pacing us, not a failed attempt
				log?.warn('telegram rate limited', { retryAfterS: waitMs / 1000 });
				await sleep(waitMs);
				continue;
			}
			if (status >= 500 && attempt < attempts) {
				await sleep(backoffMs * 2 ** (attempt - 1));
				continue;
			}
			throw new TelegramSendError(`telegram answered ${status} ${desc}`.trim());
		}
	}

	return {
		/** Sends an HTML message (split on line boundaries over 4096 characters). */
		async send(html: string): Promise<SendResult> {
			const creds = await credentials();
			if ('reason' in creds) {
				state = { state: 'unconfigured', detail: creds.reason };
				throw new TelegramConfigError(creds.reason);
			}
			try {
				const ids: number[] = [];
				for (const part of splitMessage(html)) ids.push(await sendPart(creds, part));
				lastOkAt = now();
				state = {
					state: 'ok',
					detail: `last message sent ${new Date(lastOkAt).toISOString()}`,
					lastOkAt
				};
				return { messageIds: ids, parts: ids.length };
			} catch (err) {
				const detail = err instanceof Error ? err.message : String(err);
				state =
					err instanceof TelegramConfigError
						? { state: 'rejected', detail, at: now() }
						: { state: 'failing', detail, at: now(), lastOkAt };
				log?.warn('telegram send failed', { detail });
				throw err;
			}
		},
		state(): SenderState {
			return state;
		},
		/** Marks the sender unconfigured up front (no env file) so /healthz says so before a send. */
		async probe(): Promise<SenderState> {
			const creds = await credentials();
			if ('reason' in creds) state = { state: 'unconfigured', detail: creds.reason };
			else if (state.state === 'unconfigured')
				state = { state: 'ok', detail: 'configured; nothing sent yet', lastOkAt };
			return state;
		}
	};
}

export type TelegramSender = ReturnType<typeof createTelegramSender>;
