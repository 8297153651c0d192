// A small fake of the Telegram Bot API on a free loopback port: records every request and
// answers sendMessage from a script of fixture bodies (tests/fixtures/telegram), then ok.
import { createServer, type IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

const fixture = (name: string) =>
	readFileSync(new URL(`../fixtures/telegram/${name}`, import.meta.url), 'utf8');
export const TELEGRAM_FIXTURES = {
	ok: { status: 200, body: fixture('sendMessage.ok.json') },
	rateLimited: { status: 429, body: fixture('sendMessage.429.json') },
	unauthorized: { status: 401, body: fixture('sendMessage.401.json') },
	badGateway: { status: 502, body: '{"ok":false,"error_code":502,"description":"Bad Gateway"}' }
};

export interface RecordedRequest {
	method: string;
	path: string;
	at: number;
	body: Record<string, unknown>;
}

export async function startFakeTelegram() {
	const requests: RecordedRequest[] = [];
	const script: { status: number; body: string }[] = [];
	const read = (req: IncomingMessage) =>
		new Promise<string>((resolve) => {
			let s = '';
			req.setEncoding('utf8');
			req.on('data', (c) => (s += c));
			req.on('end', () => resolve(s));
		});
	const server = createServer(async (req, res) => {
		const raw = await read(req);
		let body: Record<string, unknown> = {};
		try {
			body = JSON.parse(raw);
		} catch {
			/* recorded as {} */
		}
		requests.push({ method: req.method ?? '', path: req.url ?? '', at: Date.now(), body });
		const next = script.shift() ?? TELEGRAM_FIXTURES.ok;
		res.writeHead(next.status, { 'content-type': 'application/json' });
		res.end(next.body);
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		requests,
		/** answers for the next requests, in order; ok after they run out */
		answer(...answers: { status: number; body: string }[]) {
			script.push(...answers);
		},
		/** forgets the recorded requests and any scripted answers left */
		reset() {
			requests.length = 0;
			script.length = 0;
		},
		close: () => new Promise<void>((r) => server.close(() => r()))
	};
}
