// Telegram messages use parse_mode HTML: only &, < and > are special there, so container and
// model names (invttrdg-backend, qwen2.5-coder:1.5b, names with _ * [ ] . ! -) go through
// untouched, where MarkdownV2 would need 18 characters escaped and fails the whole message on
// one miss (fixture sendMessage.400-parse.json). Alerts build text with `esc` on every
// interpolated value and `<b>` for emphasis only inside one line, so splitting on line
// boundaries never cuts a tag in two.

/** Escapes text for Telegram's HTML parse mode (and `"` for attribute values). */
export function esc(text: string): string {
	return text
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;');
}

/** Telegram's limit for one sendMessage text. */
export const TELEGRAM_MAX_CHARS = 4096;

/**
 * Splits a message into parts of at most `max` characters on line boundaries. A single line
 * longer than `max` is cut, never inside an HTML entity (`&amp;`) or a surrogate pair.
 */
export function splitMessage(text: string, max = TELEGRAM_MAX_CHARS): string[] {
	if (text.length <= max) return [text];
	const parts: string[] = [];
	let cur = '';
	const push = () => {
		if (cur.length) parts.push(cur);
		cur = '';
	};
	for (const line of text.split('\n')) {
		const candidate = cur.length ? `${cur}\n${line}` : line;
		if (candidate.length <= max) {
			cur = candidate;
			continue;
		}
		push();
		let rest = line;
		while (rest.length > max) {
			let cut = max;
			const amp = rest.lastIndexOf('&', cut - 1);
			if (amp >= 0 && amp > cut - 8 && !rest.slice(amp, cut).includes(';')) cut = amp;
			const code = rest.charCodeAt(cut - 1);
			if (code >= 0xd800 && code <= 0xdbff) cut--;
			parts.push(rest.slice(0, cut));
			rest = rest.slice(cut);
		}
		cur = rest;
	}
	push();
	return parts;
}

/** The plain text of an HTML message (webhook payloads and logs carry both). */
export function htmlToText(html: string): string {
	return html
		.replace(/<[^>]*>/g, '')
		.replace(/&lt;/g, '<')
		.replace(/&gt;/g, '>')
		.replace(/&quot;/g, '"')
		.replace(/&amp;/g, '&');
}
