// alerts router through createCaller: real services on a fresh SQLite file, Telegram replaced
// by the fake Bot API on loopback (token read from an env file in the host script's format).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Services } from '../../services';
import { createTestServices, type TestServices } from '../../../../../tests/helpers/services';
import { queryActions } from '../../audit/activity';
import { startFakeTelegram, TELEGRAM_FIXTURES } from '../../../../../tests/helpers/fake-telegram';

const TOKEN = '7012345678:AAH-router-secret';

describe('alerts router', () => {
	let dir: string;
	let t: TestServices;
	let services: Services;
	let fake: Awaited<ReturnType<typeof startFakeTelegram>>;
	const as = (role: 'viewer' | 'operator') => t.callerAs({ role, via: 'token' });

	beforeAll(async () => (fake = await startFakeTelegram()));
	afterAll(() => fake.close());
	beforeEach(async () => {
		dir = await mkdtemp(path.join(tmpdir(), 'vmw-alerts-'));
		await writeFile(
			path.join(dir, 'telegram.env'),
			`TELEGRAM_BOT_TOKEN=${TOKEN}\nTELEGRAM_CHAT_ID=-100123\n`
		);
		t = await createTestServices({
			dir,
			env: {
				VMW_LOG_DIR: dir,
				VMW_CRONTABS: path.join(dir, 'none'),
				VMW_TELEGRAM_ENV_FILE: path.join(dir, 'telegram.env'),
				VMW_TELEGRAM_API_URL: fake.url,
				VMW_ALERT_HOST_NAME: 'srv1491630'
			}
		});
		services = t.services;
		fake.requests.length = 0;
	});
	afterEach(async () => {
		await t.stop();
		await rm(dir, { recursive: true, force: true });
	});

	it('previews the digest for a viewer; the test message is for operators, audited, and never shows the token', async () => {
		const p = await as('viewer').alerts.digestPreview();
		expect(p.html.split('\n')[0]).toBe('📊 <b>Weekly VM Digest — srv1491630</b>');
		expect(p.text.split('\n')[0]).toBe('📊 Weekly VM Digest — srv1491630');
		await expect(as('viewer').alerts.sendTest({})).rejects.toMatchObject({ code: 'FORBIDDEN' });
		const r = await as('operator').alerts.sendTest({});
		expect(r).toEqual({ results: [{ channel: 'telegram', ok: true, detail: 'sent (1 part)' }] });
		expect(fake.requests.map((q) => q.body.text)).toEqual([
			'✅ <b>Test message</b> — srv1491630\nvmwarden alerts reach this chat.'
		]);
		const [row] = (await queryActions(services.db, { hostId: 'local', action: 'alerts.test' }))
			.items;
		expect([row.actor, row.address, row.outcome, row.target]).toEqual([
			'token:operator',
			'127.0.0.9',
			'ok',
			'telegram'
		]);
		const status = await as('viewer').alerts.status();
		expect(JSON.stringify(status)).not.toContain('AAH');
		expect(status.channels.telegram!.state).toBe('ok');
	});

	it('a rejected token is a clear precondition error and the status says so', async () => {
		fake.answer(TELEGRAM_FIXTURES.unauthorized);
		const err = await as('operator')
			.alerts.sendTest({})
			.catch((e) => e);
		expect(err.code).toBe('PRECONDITION_FAILED');
		expect(err.message).toMatch(/bot token rejected/);
		expect(err.message).not.toContain('AAH');
		const status = await as('viewer').alerts.status();
		expect(status.channels.telegram!.state).toBe('rejected');
		expect(JSON.stringify(status)).not.toContain('AAH');
		expect(services.health().services.alerts.ok).toBe(true);
	});

	it('mutes and unmutes a rule (audited); hostile keys and unknown fields are refused', async () => {
		expect(
			(await as('operator').alerts.mute({ key: 'disk:/var', minutes: 60 })).mutes.map((m) => m.key)
		).toEqual(['disk:/var']);
		expect((await as('operator').alerts.mute({ key: 'disk:/var', unmute: true })).mutes).toEqual(
			[]
		);
		await expect(as('operator').alerts.mute({ key: 'steal; rm -rf /' })).rejects.toMatchObject({
			code: 'BAD_REQUEST'
		});
		await expect(as('operator').alerts.mute({ key: 'x'.repeat(10_000) })).rejects.toMatchObject({
			code: 'BAD_REQUEST'
		});
		await expect(
			as('operator').alerts.mute({ key: 'steal', extra: 1 } as never)
		).rejects.toMatchObject({ code: 'BAD_REQUEST' });
		await expect(as('viewer').alerts.mute({ key: 'steal' })).rejects.toMatchObject({
			code: 'FORBIDDEN'
		});
		const rows = (await queryActions(services.db, { hostId: 'local', action: 'alerts.' })).items;
		// newest first: the viewer's refused call is on record (denied), each refused input (issue 21
		// item 10; three different validation messages, so three rows), then the two real changes
		expect(rows.map((r) => [r.action, r.target, r.outcome, r.result?.split(/[: ]/)[0]])).toEqual([
			['alerts.mute', null, 'denied', 'FORBIDDEN'],
			['alerts.mute', null, 'error', 'BAD_REQUEST'],
			['alerts.mute', null, 'error', 'BAD_REQUEST'],
			['alerts.mute', null, 'error', 'BAD_REQUEST'],
			['alerts.unmute', 'disk:/var', 'ok', 'unmuted'],
			['alerts.mute', 'disk:/var', 'ok', 'muted']
		]);
	});
});
