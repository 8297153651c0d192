// `npm run docs:screenshot`: docs/overview.png, the overview page (/) of the BUILT app as a
// logged-in admin sees it, taken in Debian's Chromium through playwright-core. Not part of
// `npm test`: run it by hand after a UI change.
//
//   npx vite build && npm run stack -- up && npm run docs:screenshot && npm run stack -- down
//
// The server starts as the tests start it (tests/helpers/server.ts: a throwaway data dir, this
// machine's /proc, watchdog off). With the test rig up (/tmp/vmwarden-rig/env) it watches the
// reference stack's containers on the rig's dockerd; without the rig, Docker shows unavailable.
// Variables: VMW_TEST_CHROMIUM (default /usr/bin/chromium), SCREENSHOT_WAIT_MS (default 25000:
// samples and the first score before the picture). Exit codes: 0 written, 1 failed (on stderr).
import path from 'node:path';
import { existsSync } from 'node:fs';
import { launchBrowser, openLoggedIn } from '../tests/helpers/browser';
import { startServer, TEST_PASSWORD } from '../tests/helpers/server';
import { RIG_ENV_FILE, rigEnv } from '../tests/helpers/rig';
import { STACK_LABEL } from '../tests/helpers/reference-stack';

const out = path.resolve(import.meta.dirname, '../docs/overview.png');
const waitMs = Number(process.env.SCREENSHOT_WAIT_MS ?? 25_000);

const docker: Record<string, string> = existsSync(RIG_ENV_FILE)
	? { VMW_DOCKER_HOST: rigEnv().dockerHost, VMW_CONTAINER_LABELS: STACK_LABEL }
	: {};
const server = await startServer(docker);
const browser = await launchBrowser({ width: 1200, height: 700 });
try {
	const page = await browser.context.newPage();
	await openLoggedIn(page, server.url, '/', TEST_PASSWORD);
	await page.waitForTimeout(waitMs);
	await page.reload();
	await page.waitForTimeout(3000); // the live feed keeps a request open: no 'networkidle'
	await page.screenshot({ path: out, fullPage: false });
	console.log(
		`docs:screenshot: wrote ${path.relative(process.cwd(), out)} (${docker.VMW_DOCKER_HOST ? `containers of ${docker.VMW_DOCKER_HOST}` : 'no Docker'})`
	);
} finally {
	await browser.close();
	await server.stop();
}
