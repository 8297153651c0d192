// Alerts over the built server: Telegram replaced by the fake Bot API on loopback, the token
// in an env file in the host script's format. /healthz stays 200 with Telegram rejecting the
// token and names the state; /digest renders the preview; the operator's test message goes out,
// is listed in the actions, and the token is in no answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, TEST_PASSWORD, type RunningServer } from '../helpers/server';
import { startFakeTelegram, TELEGRAM_FIXTURES } from '../helpers/fake-telegram';

const TOKEN = '7012345678:AAH-integration-secret';

describe('alerts over HTTP', () => {
	let server: RunningServer;
	let fake: Awaited<ReturnType<typeof startFakeTelegram>>;
	let dir: string;
	let cookie = '';
	const trpcPost = (proc: string, input: unknown) =>
		fetch(`${server.url}/api/trpc/${proc}`, {
			method: 'POST',
			headers: {
				'content-type': 'application/json',
				origin: server.url,
				'sec-fetch-site': 'same-origin',
				cookie
			},
			body: JSON.stringify({ json: input })
		});

	beforeAll(async () => {
		fake = await startFakeTelegram();
		dir = await mkdtemp(path.join(tmpdir(), 'vmw-alerts-http-'));
		await writeFile(
			path.join(dir, 'telegram.env'),
			`export TELEGRAM_BOT_TOKEN='${TOKEN}'\nTELEGRAM_CHAT_ID=-1001234567890\n`
		);
		server = await startServer({
			VMW_TELEGRAM_ENV_FILE: path.join(dir, 'telegram.env'),
			VMW_TELEGRAM_API_URL: fake.url,
			VMW_ALERT_HOST_NAME: 'srv1491630',
			VMW_LOG_DIR: dir,
			VMW_CRONTABS: path.join(dir, 'none'),
			VMW_DOCKER_HOST: `unix://${path.join(dir, 'no-docker.sock')}`,
			// no digest/daily catch-up (on a Monday) and no rule alerts from this machine's real state
			VMW_DIGEST: 'off',
			VMW_DAILY_HEALTH_TIME: 'off',
			VMW_ALERTS_MUTE: 'steal,swap,disk,containers,docker,prometheus,cron,cleanup'
		});
		const res = await trpcPost('auth.login', { password: TEST_PASSWORD });
		expect(res.status).toBe(200);
		cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
	});
	afterAll(async () => {
		await server?.stop();
		await fake?.close();
		await rm(dir, { recursive: true, force: true });
	});

	it('sends the test message through the fake Bot API and records it', async () => {
		fake.requests.length = 0;
		const res = await trpcPost('alerts.sendTest', {});
		const body = await res.text();
		expect(res.status).toBe(200);
		expect(body).not.toContain('AAH');
		expect(fake.requests).toHaveLength(1);
		expect(fake.requests[0].path).toBe(`/bot${TOKEN}/sendMessage`);
		expect(fake.requests[0].body).toMatchObject({
			chat_id: '-1001234567890',
			parse_mode: 'HTML',
			text: '✅ <b>Test message</b> — srv1491630\nvmwarden alerts reach this chat.'
		});
		const acts = await fetch(
			`${server.url}/api/trpc/activity.list?input=${encodeURIComponent(JSON.stringify({ json: { action: 'alerts.test' } }))}`,
			{ headers: { cookie } }
		);
		expect(acts.status).toBe(200);
		expect(await acts.text()).toContain('"action":"alerts.test"');
	});

	it('a rejected token: a clear error, /healthz still 200 and naming it, /digest says so; the token nowhere', async () => {
		fake.answer(TELEGRAM_FIXTURES.unauthorized);
		const res = await trpcPost('alerts.sendTest', {});
		const body = await res.text();
		expect(res.status).toBe(412);
		expect(body).toContain('bot token rejected');
		expect(body).not.toContain('AAH');
		const hz = await fetch(`${server.url}/healthz`);
		const hzText = await hz.text();
		expect(hz.status).toBe(200);
		expect(hzText).not.toContain('AAH');
		expect(JSON.parse(hzText).services.alerts).toMatchObject({ ok: true });
		expect(JSON.parse(hzText).services.alerts.detail).toContain(
			'telegram rejected (bot token rejected)'
		);
		const page = await fetch(`${server.url}/digest`, { headers: { cookie } });
		const html = await page.text();
		expect(page.status).toBe(200);
		expect(html).toContain('Weekly VM Digest — srv1491630');
		expect(html).toContain('bot token rejected');
		expect(html).not.toContain('AAH');
	});
});
