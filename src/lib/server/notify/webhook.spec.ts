import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createWebhookSender, signWebhook } from './webhook';

const got: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
let status = 204;
const server = createServer((req, res) => {
	let body = '';
	req.on('data', (c) => (body += c));
	req.on('end', () => {
		got.push({ headers: req.headers, body });
		res.writeHead(status);
		res.end();
	});
});
let url = '';
beforeAll(async () => {
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?key=s3cret`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('webhook sender', () => {
	it('POSTs JSON signed with HMAC-SHA256 over "<timestamp>.<body>"', async () => {
		got.length = 0;
		const s = createWebhookSender({ url, secret: 'shh', now: () => 1_795_939_200_000 });
		const payload = {
			kind: 'test' as const,
			hostId: 'local',
			text: 'hi',
			html: 'hi',
			at: '2026-11-29T00:00:00.000Z'
		};
		await s.send(payload);
		expect(got).toHaveLength(1);
		const { headers, body } = got[0];
		expect(JSON.parse(body)).toEqual(payload);
		expect(headers['content-type']).toBe('application/json');
		expect(headers['x-vmwarden-timestamp']).toBe('1795939200');
		// computed here independently of signWebhook
		const expected =
			'sha256=' + createHmac('sha256', 'shh').update(`1795939200.${body}`).digest('hex');
		expect(headers['x-vmwarden-signature']).toBe(expected);
		expect(signWebhook('shh', 1795939200, body)).toBe(expected);
		expect(JSON.stringify(s.state())).not.toContain('s3cret');
	});

	it('fails on a 4xx without retrying and keeps the query string out of the error', async () => {
		got.length = 0;
		status = 400;
		const s = createWebhookSender({ url, secret: null, sleep: async () => {} });
		const err = await s
			.send({ kind: 'test', hostId: 'h', text: '', html: '', at: '' })
			.catch((e) => e);
		status = 204;
		expect(got).toHaveLength(1);
		expect(got[0].headers['x-vmwarden-signature']).toBeUndefined();
		expect(err.message).toMatch(/answered 400/);
		expect(err.message).not.toContain('s3cret');
		expect(err.message).not.toContain('/hook'); // Slack and Discord keep their key in the path
	});

	it('user:pass@ in the URL goes as Basic authorization; nothing of the URL but its host is ever shown (issue 21 item 3)', async () => {
		got.length = 0;
		const port = new URL(url).port;
		const s = createWebhookSender({
			url: `http://bot:pa%24%24word@127.0.0.1:${port}/services/T0/B0/SLACKKEY?token=t0k3n`,
			secret: null,
			sleep: async () => {}
		});
		await s.send({ kind: 'test', hostId: 'h', text: '', html: '', at: '' });
		expect(got).toHaveLength(1);
		expect(got[0].headers.authorization).toBe(
			`Basic ${Buffer.from('bot:pa$$word').toString('base64')}`
		);
		const shown = JSON.stringify(s.state());
		expect(shown).toContain(`http://127.0.0.1:${port}/…`);
		for (const secret of ['pa%24%24word', 'pa$$word', 'SLACKKEY', 't0k3n', 'bot'])
			expect(shown).not.toContain(secret);
	});

	it('a failure names the host only, even when the error itself quotes the URL', async () => {
		// port 1 on loopback: nothing listens
		for (const bad of [
			'http://bot:pw@127.0.0.1:1/services/SLACKKEY?token=t0k3n',
			'http://127.0.0.1:1/services/SLACKKEY?token=t0k3n'
		]) {
			const s = createWebhookSender({
				url: bad,
				secret: null,
				attempts: 1,
				timeoutMs: 2000,
				sleep: async () => {}
			});
			const err: Error = await s
				.send({ kind: 'test', hostId: 'h', text: '', html: '', at: '' })
				.catch((e) => e);
			const text = `${err.message} ${JSON.stringify(s.state())}`;
			for (const secret of [':pw', 'SLACKKEY', 't0k3n'])
				expect({ bad, text, leaked: text.includes(secret) }).toMatchObject({ leaked: false });
		}
	});
});
