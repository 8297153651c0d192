// /digest on a phone (390 px) in Debian's Chromium: the preview shows the digest as Telegram
// would (bold title, escaped names), "Send test message" reaches the fake Bot API, a rejected
// token is said plainly, a rule is muted and unmuted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, TEST_PASSWORD, type RunningServer } from '../helpers/server';
import { launchBrowser } from '../helpers/browser';
import { startFakeTelegram, TELEGRAM_FIXTURES } from '../helpers/fake-telegram';

let server: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let fake: Awaited<ReturnType<typeof startFakeTelegram>>;
let dir: string;

beforeAll(async () => {
	fake = await startFakeTelegram();
	dir = await mkdtemp(path.join(tmpdir(), 'vmw-digest-e2e-'));
	await writeFile(
		path.join(dir, 'telegram.env'),
		'TELEGRAM_BOT_TOKEN=123:e2e-secret\nTELEGRAM_CHAT_ID=42\n'
	);
	server = await startServer({
		VMW_TELEGRAM_ENV_FILE: path.join(dir, 'telegram.env'),
		VMW_TELEGRAM_API_URL: fake.url,
		VMW_ALERT_HOST_NAME: 'srv<1491630>',
		VMW_LOG_DIR: dir,
		VMW_CRONTABS: path.join(dir, 'none'),
		VMW_DOCKER_HOST: `unix://${path.join(dir, 'no-docker.sock')}`,
		VMW_DIGEST: 'off',
		VMW_DAILY_HEALTH_TIME: 'off',
		VMW_ALERTS_MUTE: 'steal,swap,disk,containers,docker,prometheus,cron,cleanup,io'
	});
	browser = await launchBrowser({ width: 390, height: 844 });
}, 120_000);

afterAll(async () => {
	await browser?.close();
	await server?.stop();
	await fake?.close();
	if (dir) await rm(dir, { recursive: true, force: true });
});

describe('/digest in a browser', () => {
	it('previews, sends a test message, shows a rejected token, mutes and unmutes', async () => {
		const page = await browser.context.newPage();
		await page.goto(`${server.url}/digest`);
		await page.getByTestId('password').fill(TEST_PASSWORD);
		await page.getByTestId('login-submit').click();
		await page.waitForURL(`${server.url}/digest`);

		const preview = page.getByTestId('digest-preview');
		// the host name's <> arrive as text, the title is bold
		await expect
			.poll(() => preview.locator('b').first().textContent())
			.toBe('Weekly VM Digest — srv<1491630>');
		expect(await preview.textContent()).toContain('🐳 Containers: Docker unavailable');
		expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
			390
		);

		fake.requests.length = 0;
		await page.getByTestId('send-test').click();
		await expect
			.poll(() => page.getByTestId('action-result').textContent())
			.toBe('telegram: sent (1 part)');
		expect(fake.requests).toHaveLength(1);
		expect(fake.requests[0].body.text).toBe(
			'✅ <b>Test message</b> — srv&lt;1491630&gt;\nvmwarden alerts reach this chat.'
		);

		fake.answer(TELEGRAM_FIXTURES.unauthorized);
		await page.getByTestId('send-test').click();
		await expect
			.poll(() => page.getByTestId('action-result').textContent())
			.toMatch(/^not sent: telegram: bot token rejected: Telegram answered 401 Unauthorized/);
		await expect
			.poll(() => page.getByTestId('telegram-state').textContent())
			.toContain('bot token rejected');
		expect(await page.content()).not.toContain('e2e-secret');

		await page.getByPlaceholder('steal, disk:/var, cron:backup').fill('watchdog.restart');
		await page.getByRole('button', { name: 'Mute', exact: true }).click();
		await expect
			.poll(() => page.getByTestId('action-result').textContent())
			.toBe('Muted watchdog.restart.');
		await page.getByRole('button', { name: 'Unmute' }).first().click();
		await expect
			.poll(() => page.getByTestId('action-result').textContent())
			.toBe('Unmuted watchdog.restart.');
		await page.close();
	});
});
