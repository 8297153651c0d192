import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeTelegram, TELEGRAM_FIXTURES } from '../../../../tests/helpers/fake-telegram';
import {
	createTelegramSender,
	parseTelegramEnv,
	TelegramConfigError,
	TelegramSendError
} from './telegram';
import { esc, htmlToText, splitMessage } from './html';

const TOKEN = '7012345678:AAH-secret_Token-xyz';
const creds = async () => ({ token: TOKEN, chatId: '-1001234567890' });

let fake: Awaited<ReturnType<typeof startFakeTelegram>>;
beforeAll(async () => (fake = await startFakeTelegram()));
afterAll(() => fake.close());
beforeEach(() => (fake.requests.length = 0));

function sender(sleeps: number[] = []) {
	return createTelegramSender({
		apiUrl: fake.url,
		credentials: creds,
		backoffMs: 10,
		sleep: async (ms) => void sleeps.push(ms)
	});
}

describe('esc (HTML parse mode)', () => {
	it('escapes exactly &, <, > and " and leaves every MarkdownV2 special as is', () => {
		// MarkdownV2's reserved set: _ * [ ] ( ) ~ ` > # + - = | { } . ! — only > is special in HTML
		const specials = '_*[]()~`>#+-=|{}.!';
		expect(esc(specials)).toBe('_*[]()~`&gt;#+-=|{}.!');
		expect(esc('a & b <c> "d"')).toBe('a &amp; b &lt;c&gt; &quot;d&quot;');
		expect(esc('invttrdg-backend qwen2.5-coder:1.5b')).toBe('invttrdg-backend qwen2.5-coder:1.5b');
		expect(htmlToText(`<b>${esc('x<&>"y')}</b>`)).toBe('x<&>"y');
	});
});

describe('splitMessage', () => {
	it('keeps short messages whole and splits long ones on line boundaries', () => {
		expect(splitMessage('a\nb', 10)).toEqual(['a\nb']);
		// lines of 4 chars + '\n': "aaaa\nbbbb" is 9 ≤ 10, adding "\ncccc" makes 14
		expect(splitMessage('aaaa\nbbbb\ncccc\ndddd', 10)).toEqual(['aaaa\nbbbb', 'cccc\ndddd']);
	});
	it('cuts an overlong line without splitting an entity', () => {
		const parts = splitMessage('x'.repeat(8) + '&amp;' + 'y'.repeat(3), 10);
		// a cut at 10 would fall inside &amp; (index 8..12): it moves back to 8
		expect(parts).toEqual(['xxxxxxxx', '&amp;yyy']);
	});
});

describe('Telegram sender against a fake Bot API', () => {
	it('posts HTML with every special character escaped exactly once', async () => {
		const name = 'invttrdg-backend & qwen2.5-coder:1.5b <_*[]()~`>#+-=|{}.!>';
		const r = await sender().send(`<b>Alert</b> ${esc(name)}`);
		expect(r).toEqual({ messageIds: [4211], parts: 1 });
		expect(fake.requests).toHaveLength(1);
		const req = fake.requests[0];
		expect(req.method).toBe('POST');
		expect(req.path).toBe(`/bot${TOKEN}/sendMessage`);
		expect(req.body).toEqual({
			chat_id: '-1001234567890',
			parse_mode: 'HTML',
			disable_web_page_preview: true,
			text: '<b>Alert</b> invttrdg-backend &amp; qwen2.5-coder:1.5b &lt;_*[]()~`&gt;#+-=|{}.!&gt;'
		});
	});

	it('splits a message over 4096 characters into parts on line boundaries', async () => {
		// 100 lines of 99 chars + newline = 9,999 chars: 41 lines (41*100-1 = 4099) is too many,
		// 40 lines make 3,999 chars, so parts are 40 + 40 + 20 lines
		const lines = Array.from(
			{ length: 100 },
			(_, i) => String(i).padStart(2, '0') + '-'.repeat(97)
		);
		const r = await sender().send(lines.join('\n'));
		expect(r.parts).toBe(3);
		const texts = fake.requests.map((q) => q.body.text as string);
		expect(texts.map((t) => t.split('\n').length)).toEqual([40, 40, 20]);
		expect(texts.every((t) => t.length <= 4096)).toBe(true);
		expect(texts.join('\n')).toBe(lines.join('\n'));
	});

	it('waits parameters.retry_after after a 429, then succeeds', async () => {
		fake.answer(TELEGRAM_FIXTURES.rateLimited);
		const sleeps: number[] = [];
		const r = await sender(sleeps).send('hello');
		expect(sleeps).toEqual([7000]); // sendMessage.429.json: retry_after 7
		expect(fake.requests).toHaveLength(2);
		expect(r.messageIds).toEqual([4211]);
	});

	it('retries a 5xx with backoff', async () => {
		fake.answer(TELEGRAM_FIXTURES.badGateway, TELEGRAM_FIXTURES.badGateway);
		const sleeps: number[] = [];
		await sender(sleeps).send('hello');
		expect(sleeps).toEqual([10, 20]);
		expect(fake.requests).toHaveLength(3);
	});

	it('gives up after the attempts with a send error, not a config error', async () => {
		fake.answer(...Array(4).fill(TELEGRAM_FIXTURES.badGateway));
		const s = sender();
		await expect(s.send('x')).rejects.toBeInstanceOf(TelegramSendError);
		expect(s.state().state).toBe('failing');
	});

	it('turns a 401 into the "bot token rejected" configuration state, without the token anywhere', async () => {
		fake.answer(TELEGRAM_FIXTURES.unauthorized);
		const s = sender();
		const err = await s.send('x').catch((e) => e);
		expect(err).toBeInstanceOf(TelegramConfigError);
		expect(err.message).toMatch(/^bot token rejected: Telegram answered 401 Unauthorized/);
		expect(fake.requests).toHaveLength(1); // no retry
		const st = s.state();
		expect(st.state).toBe('rejected');
		expect(JSON.stringify(st)).not.toContain(TOKEN);
		expect(JSON.stringify(st)).not.toContain('AAH');
	});

	it('never puts the token in an error when Telegram is unreachable', async () => {
		const s = createTelegramSender({
			apiUrl: 'http://127.0.0.1:1',
			credentials: creds,
			attempts: 2,
			backoffMs: 1,
			sleep: async () => {}
		});
		const err = await s.send('x').catch((e) => e);
		expect(err).toBeInstanceOf(TelegramSendError);
		expect(String(err.message) + JSON.stringify(s.state())).not.toContain('AAH');
	});
});

describe('parseTelegramEnv', () => {
	it('reads the host script env file format without executing it', () => {
		expect(
			parseTelegramEnv('# c\nexport TELEGRAM_BOT_TOKEN="123:abc"\nTELEGRAM_CHAT_ID=-100\r\n')
		).toEqual({ token: '123:abc', chatId: '-100' });
		expect(parseTelegramEnv('TELEGRAM_BOT_TOKEN=123:abc', 'f.env')).toEqual({
			reason: 'TELEGRAM_BOT_TOKEN or TELEGRAM_CHAT_ID missing in f.env'
		});
		expect(parseTelegramEnv('TELEGRAM_BOT_TOKEN=$(rm -rf /)\nTELEGRAM_CHAT_ID=1', 'f')).toEqual({
			reason: 'TELEGRAM_BOT_TOKEN in f has unexpected characters'
		});
	});
});
