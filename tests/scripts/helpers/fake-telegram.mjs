// A fake Telegram Bot API for the host-script tests. Listens on 127.0.0.1 only.
// Usage: node fake-telegram.mjs DIR
//   DIR/responses  optional, one "STATUS FIXTURE" per line, used in order for successive
//                  requests (the last line repeats); default "200 sendMessage.ok.json"
//   DIR/port       written once listening
//   DIR/requests.jsonl  one line per request: {method, path, contentType, body, argvWithToken}
//   argvWithToken: pids whose command line contains the token of the request path while
//   the request is being served (it must stay empty: the token may not be in any argv).
// Fixtures are read from tests/fixtures/telegram.
import { createServer } from 'node:http';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = process.argv[2];
const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/telegram');
const plan = existsSync(join(dir, 'responses'))
	? readFileSync(join(dir, 'responses'), 'utf8')
			.trim()
			.split('\n')
			.map((l) => l.trim().split(/\s+/))
	: [['200', 'sendMessage.ok.json']];
let n = 0;

function pidsWithInArgv(needle) {
	if (!needle) return [];
	const found = [];
	for (const pid of readdirSync('/proc').filter((p) => /^[0-9]+$/.test(p))) {
		try {
			if (
				readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle) &&
				Number(pid) !== process.pid
			)
				found.push(Number(pid));
		} catch {
			// the process ended meanwhile
		}
	}
	return found;
}

const server = createServer((req, res) => {
	const token = /^\/bot([^/]+)\//.exec(req.url ?? '')?.[1];
	const argvWithToken = pidsWithInArgv(token);
	let body = '';
	req.on('data', (c) => (body += c));
	req.on('end', () => {
		appendFileSync(
			join(dir, 'requests.jsonl'),
			JSON.stringify({
				method: req.method,
				path: req.url,
				contentType: req.headers['content-type'],
				body,
				argvWithToken
			}) + '\n'
		);
		const [status, file] = plan[Math.min(n++, plan.length - 1)];
		res.writeHead(Number(status), { 'content-type': 'application/json' });
		res.end(readFileSync(join(fixtures, file)));
	});
});
server.listen(0, '127.0.0.1', () =>
	writeFileSync(join(dir, 'port'), String(server.address().port))
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
