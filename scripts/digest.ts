// npm run digest -- --print | --send [--html]
// Composes the weekly digest from the app's database, Docker, cron files and Prometheus (the
// same configuration as the app: VMW_* variables), exactly as the Monday schedule would:
//   --print  prints it (plain text; --html prints the Telegram HTML that would be sent)
//   --send   sends it to Telegram / the webhook now and records it (action digest.send, actor cli);
//            not tied to a week, so Monday's scheduled digest is still sent.
// Exit codes: 0 done, 1 not sent (reason on stderr), 2 bad usage or configuration.
import { ConfigError, parseConfig } from '../src/lib/server/config';
import { createServices } from '../src/lib/server/services';
import { htmlToText } from '../src/lib/server/notify/html';
import { setLogLevel } from '../src/lib/server/log';

const args = process.argv.slice(2);
const known = new Set(['--print', '--send', '--html', '--help']);
const bad = args.filter((a) => !known.has(a));
if (
	bad.length ||
	args.includes('--help') ||
	(args.includes('--print') && args.includes('--send'))
) {
	process.stderr.write(
		`usage: npm run digest -- [--print [--html] | --send]\n${bad.length ? `unknown argument(s): ${bad.join(' ')}\n` : ''}`
	);
	process.exit(args.includes('--help') ? 0 : 2);
}
const send = args.includes('--send');

let config;
try {
	config = parseConfig();
} catch (err) {
	process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
	process.exit(2);
}
setLogLevel(config.logLevel === 'debug' ? 'debug' : 'error');
const services = await createServices(config, { startSampler: false, markInterrupted: false });
let code = 0;
try {
	// one Docker refresh for the current unhealthy list (Docker down → "Docker unavailable")
	await services.docker.refresh().catch(() => undefined);
	if (send) {
		const r = await services.alerts.sendDigestNow({ actor: 'cli' });
		if (r.sent) process.stdout.write('digest sent\n');
		else {
			const ch = services.alerts.channels();
			process.stderr.write(
				`digest not sent: ${ch.telegram ? `telegram ${ch.telegram.state}: ${ch.telegram.detail}` : 'no telegram'}${ch.webhook ? `; webhook: ${ch.webhook.detail}` : ''}\n`
			);
			code = 1;
		}
	} else {
		const html = await services.alerts.previewDigest();
		process.stdout.write(`${args.includes('--html') ? html : htmlToText(html)}\n`);
	}
} finally {
	await services.stop();
}
process.exit(code);
