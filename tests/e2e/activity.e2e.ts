// /activity and the watchdog in Debian's Chromium against the rig's dockerd: a never-recovering
// container is restarted 3 times and quarantined; the panel shows it, the operator releases
// it, switches the mode, runs the self-test; the actions table filters; /containers shows the
// badge; /healthz and /metrics report the watchdog. The server's watchdog is scoped to this
// run's label (VMW_WATCHDOG_ONLY_LABEL), so it never touches anyone else's container.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import type { Page } from 'playwright-core';
import { startServer, TEST_PASSWORD, TEST_TOKEN, type RunningServer } from '../helpers/server';
import { launchBrowser, openLoggedIn } from '../helpers/browser';
import { requireDocker, rigEnv } from '../helpers/rig';
import { createTestContainer, newRunId, removeRun, TEST_LABEL } from '../helpers/containers';

const env = rigEnv();
const run = newRunId('e2e-wd');
const broken = `${run}-broken`;
let docker: Docker;
let server: RunningServer;
let logDir: string;
let browser: Awaited<ReturnType<typeof launchBrowser>>;

const login = (page: Page, to: string) => openLoggedIn(page, server.url, to, TEST_PASSWORD);

beforeAll(async () => {
	docker = await requireDocker(env);
	logDir = await mkdtemp(path.join(tmpdir(), 'vmw-e2e-wd-'));
	server = await startServer({
		VMW_DOCKER_HOST: env.dockerHost,
		VMW_CONTAINER_LABELS: `${TEST_LABEL}=${run}`,
		VMW_CONTAINER_SAMPLE_INTERVAL_MS: '500',
		VMW_WATCHDOG: 'on',
		VMW_WATCHDOG_ONLY_LABEL: `${TEST_LABEL}=${run}`,
		VMW_WATCHDOG_COOLDOWN_S: '0.5',
		VMW_WATCHDOG_COOLDOWN_MAX_S: '1',
		VMW_WATCHDOG_BUDGET_WINDOW_S: '300',
		VMW_WATCHDOG_SELFTEST_IMAGE: env.testImage,
		VMW_LOG_DIR: logDir
	});
	// fails from its first second and never recovers (the failure marker survives restarts)
	await createTestContainer(docker, env.testImage, run, {
		name: broken,
		cmd: 'touch /tmp/fail; while :; do sleep 1; done',
		health: { cmd: 'test ! -e /tmp/fail', intervalS: 0.5, retries: 3 }
	});
	browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
	await browser?.close();
	await server?.stop();
	if (docker) await removeRun(docker, run);
	if (logDir) await rm(logDir, { recursive: true, force: true });
});

describe('/activity and the watchdog in a browser (rig dockerd)', () => {
	it(
		'shows the quarantine, releases it, switches the mode, runs the self-test, filters the actions',
		{ timeout: 120_000 },
		async () => {
			const page = await browser.context.newPage();
			await login(page, '/activity');
			const row = page.locator(`[data-testid="watchdog-row"][data-name="${broken}"]`);
			await expect
				.poll(() => row.getAttribute('data-state'), { timeout: 40_000 })
				.toBe('quarantined');
			expect(await row.textContent()).toMatch(/3 restarts in 5 min, still unhealthy/);

			// /healthz and /metrics say so too
			const health = await (await fetch(`${server.url}/healthz`)).json();
			expect(health.services.watchdog).toEqual({
				ok: true,
				detail: 'on; attached to Docker events; 1 quarantined'
			});
			const metrics = await (
				await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })
			).text();
			expect(metrics).toMatch(/vmwarden_watchdog_quarantined\{host_id="local"\} 1/);
			expect(metrics).toContain(
				`vmwarden_watchdog_restarts_total{container="${broken}",host_id="local"} 3`
			);

			// /containers carries the same state as a badge on the container's row
			await page.goto(`${server.url}/containers`);
			const badge = page.locator(
				`[data-testid="container-row"][data-name="${broken}"] [data-testid="watchdog-badge"]`
			);
			await expect.poll(() => badge.getAttribute('data-state')).toBe('quarantined');
			expect(
				await page
					.locator(
						`[data-testid="container-row"][data-name="${broken}"] [data-testid="watchdog-release"]`
					)
					.count()
			).toBe(1);

			// the actions table, filtered to the quarantine
			await page.goto(`${server.url}/activity`);
			await expect
				.poll(() =>
					page.locator('[data-testid="activity-row"][data-action="watchdog.restart"]').count()
				)
				.toBe(3);
			await page
				.getByTestId('activity-filters')
				.locator('select[name="action"]')
				.selectOption('watchdog.quarantine');
			await page.getByTestId('activity-filters').getByRole('button', { name: 'Filter' }).click();
			await page.waitForURL(/action=watchdog.quarantine/);
			await expect.poll(() => page.getByTestId('activity-row').count()).toBe(1);

			// release: the row leaves quarantine and the release is recorded with who did it
			await page
				.locator(`[data-testid="watchdog-row"][data-name="${broken}"]`)
				.getByTestId('watchdog-release')
				.click();
			await expect
				.poll(() =>
					page
						.locator(`[data-testid="watchdog-row"][data-name="${broken}"]`)
						.getAttribute('data-state')
				)
				.not.toBe('quarantined');
			await page.goto(`${server.url}/activity?action=watchdog.release`);
			await expect
				.poll(() => page.getByTestId('activity-row').first().textContent())
				.toMatch(/watchdog\.release.*session:admin.*ok.*released \(operator\)/s);

			// mode switch, shown and recorded
			await page.getByTestId('watchdog-mode-dry-run').click();
			await expect
				.poll(() => page.getByTestId('watchdog-mode').getAttribute('data-mode'))
				.toBe('dry-run');
			await page.getByTestId('watchdog-mode-on').click();
			await expect
				.poll(() => page.getByTestId('watchdog-mode').getAttribute('data-mode'))
				.toBe('on');

			// the self-test, its result and timing
			await docker.getContainer(broken).remove({ force: true }); // nothing else competing for the one-at-a-time lock
			await page.getByTestId('selftest-run').click();
			await expect
				.poll(() => page.getByTestId('watchdog-message').textContent(), { timeout: 60_000 })
				.toMatch(/^Self-test passed: restarted \d+ ms after its 3rd failed check$/);
			await expect
				.poll(() => page.getByTestId('selftest-last').getAttribute('data-outcome'))
				.toBe('ok');
			const left = await docker.listContainers({
				all: true,
				filters: { label: [`${TEST_LABEL}=${run}`] }
			});
			expect(left).toEqual([]);
			await page.close();
		}
	);

	it('a phone-sized viewport shows the panel and the actions as cards', async () => {
		const phone = await launchBrowser({ width: 390, height: 844 });
		try {
			const page = await phone.context.newPage();
			await login(page, '/activity');
			await expect.poll(() => page.getByTestId('watchdog-panel').isVisible()).toBe(true);
			const width = await page.evaluate(() => document.documentElement.scrollWidth);
			expect(width).toBeLessThanOrEqual(390);
		} finally {
			await phone.close();
		}
	});
});
