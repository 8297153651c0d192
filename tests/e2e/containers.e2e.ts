// A person's path through /containers in Debian's Chromium, against the rig's dockerd: filter
// Unhealthy, open the health history, read the logs, restart with confirmation, see the row recover.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import type { Page } from 'playwright-core';
import { startServer, TEST_PASSWORD, type RunningServer } from '../helpers/server';
import { launchBrowser, openLoggedIn } from '../helpers/browser';
import { requireDocker, rigEnv } from '../helpers/rig';
import {
	createTestContainer,
	newRunId,
	removeRun,
	TEST_LABEL,
	waitFor
} from '../helpers/containers';

const env = rigEnv();
const run = newRunId('e2e');
const n = (s: string) => `${run}-${s}`;
let docker: Docker;
let server: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;

const login = (page: Page, to: string) => openLoggedIn(page, server.url, to, TEST_PASSWORD);

beforeAll(async () => {
	docker = await requireDocker(env);
	await Promise.all([
		createTestContainer(docker, env.testImage, run, {
			name: n('steady'),
			health: { cmd: 'true' },
			labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' }
		}),
		// unhealthy on its first run; its writable layer keeps /marker, so after a restart it is healthy
		createTestContainer(docker, env.testImage, run, {
			name: n('flaky'),
			cmd: 'echo "hello from flaky <b>not bold</b>"; if [ -f /marker ]; then touch /tmp/ok; echo second run; fi; touch /marker; sleep 3600',
			health: { cmd: 'test -f /tmp/ok || { echo "no /tmp/ok yet"; exit 1; }' },
			// PID 1 ignores SIGTERM as real services do: the restart waits Docker's 10 s stop grace
			ignoresTerm: true
		})
	]);
	await waitFor(
		'flaky to turn unhealthy',
		async () =>
			(await docker.getContainer(n('flaky')).inspect()).State.Health?.Status === 'unhealthy'
	);
	server = await startServer({
		VMW_DOCKER_HOST: env.dockerHost,
		VMW_CONTAINER_LABELS: `${TEST_LABEL}=${run}`,
		VMW_CONTAINER_SAMPLE_INTERVAL_MS: '500'
	});
	browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
	await browser?.close();
	await server?.stop();
	if (docker) await removeRun(docker, run);
});

describe('/containers in a browser (rig dockerd)', () => {
	it('overview links to the unhealthy containers', async () => {
		const page = await browser.context.newPage();
		await login(page, '/');
		await expect
			.poll(() => page.getByTestId('unhealthy-count').getAttribute('data-count'))
			.toBe('1');
		await page.getByTestId('unhealthy-count').getByRole('link').click();
		await page.waitForURL(/\/containers\?filter=unhealthy/);
		await expect.poll(() => page.getByTestId('container-row').count()).toBe(1);
		await page.close();
	});

	it(
		'filter Unhealthy, health history, logs, restart with confirmation, the row recovers',
		{ timeout: 120_000 },
		async () => {
			const page = await browser.context.newPage();
			await login(page, '/containers');
			await expect.poll(() => page.getByTestId('container-row').count()).toBe(2);

			await page.getByTestId('chip-unhealthy').click();
			const rowsShown = page.getByTestId('container-row');
			await expect.poll(() => rowsShown.count()).toBe(1);
			const flaky = page.locator(`[data-testid="container-row"][data-name="${n('flaky')}"]`);
			expect(await flaky.getAttribute('data-condition')).toBe('unhealthy');

			await flaky.getByRole('button', { name: 'Health' }).click();
			const history = page.getByTestId('health-history');
			await expect.poll(() => history.textContent()).toMatch(/failed \(exit 1\)/);
			expect(await history.textContent()).toContain('no /tmp/ok yet');

			await flaky.getByRole('button', { name: 'Logs' }).click();
			const logs = page.getByTestId('container-logs');
			await expect
				.poll(() => logs.locator('pre').textContent())
				.toContain('hello from flaky <b>not bold</b>');
			// rendered as text: no <b> element was created from the log line
			expect(await logs.locator('b').count()).toBe(0);

			await page.getByTestId('restart-unhealthy').click();
			const dialog = page.getByTestId('confirm-dialog');
			await expect.poll(() => dialog.isVisible()).toBe(true);
			expect(await dialog.locator('li').allTextContents()).toEqual([n('flaky')]);
			await page.getByTestId('confirm-restart').click();
			// while Docker waits out the stop grace, the row says the restart is under way
			await expect
				.poll(() => flaky.getByTestId('restart-in-progress').isVisible(), { timeout: 8_000 })
				.toBe(true);
			await expect
				.poll(() => page.getByTestId('restart-outcome').textContent(), { timeout: 30_000 })
				.toContain(`${n('flaky')}: restarted`);
			await expect
				.poll(() => flaky.getByTestId('restart-in-progress').count(), { timeout: 10_000 })
				.toBe(0);

			// live: the row turns healthy without a reload, so it leaves the Unhealthy filter
			await expect.poll(() => rowsShown.count(), { timeout: 30_000 }).toBe(0);
			await page.getByRole('button', { name: /^All/ }).click();
			await expect
				.poll(() => flaky.getAttribute('data-condition'), { timeout: 30_000 })
				.toBe('healthy');
			expect((await docker.getContainer(n('flaky')).inspect()).RestartCount).toBe(0); // a manual restart is not a policy restart
			await page.close();
		}
	);

	it('sorts and searches; on a phone the rows are cards without sideways scrolling', async () => {
		const page = await browser.context.newPage();
		await page.setViewportSize({ width: 390, height: 844 });
		await login(page, '/containers');
		await expect.poll(() => page.getByTestId('container-row').count()).toBe(2);
		await page.getByRole('searchbox').fill('shop');
		await expect.poll(() => page.getByTestId('container-row').count()).toBe(1);
		expect(await page.getByTestId('container-row').getAttribute('data-name')).toBe(n('steady'));
		const overflow = await page.evaluate(
			() => document.documentElement.scrollWidth - window.innerWidth
		);
		expect(overflow).toBeLessThanOrEqual(0);
		expect(await page.locator('thead').isVisible()).toBe(false);
		await page.close();
	});
});

describe('/containers while Docker is unreachable', () => {
	let down: RunningServer;
	let b: Awaited<ReturnType<typeof launchBrowser>>;
	beforeAll(async () => {
		down = await startServer({
			VMW_DOCKER_HOST: 'unix:///tmp/vmwarden-no-docker-e2e.sock',
			VMW_CONTAINER_SAMPLE_INTERVAL_MS: '500'
		});
		b = await launchBrowser();
	});
	afterAll(async () => {
		await b?.close();
		await down?.stop();
	});

	it('says so, with no last good data, and the rest of the app still works', async () => {
		const page = await b.context.newPage();
		await page.goto(`${down.url}/containers`);
		await page.getByTestId('password').fill(TEST_PASSWORD);
		await page.getByTestId('login-submit').click();
		await page.waitForURL(`${down.url}/containers`);
		await expect
			.poll(() => page.getByTestId('stale-banner').textContent())
			.toMatch(/Docker is unavailable: listContainers failed: .*ENOENT/);
		expect(await page.getByTestId('stale-banner').textContent()).toMatch(/no good data yet/);
		// innerText: the rendered words (the source wraps the sentence; textContent keeps its tabs)
		expect(await page.getByTestId('containers-empty').innerText()).toMatch(
			/Docker has not answered since the app started/
		);
		await page.goto(`${down.url}/vm`);
		await page.getByTestId('card-steal').waitFor();
		expect(await page.getByTestId('unhealthy-count').textContent()).toMatch(
			/Docker is unavailable/
		);
		await page.close();
	});
});
