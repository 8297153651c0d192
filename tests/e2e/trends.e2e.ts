// /trends in Chromium against the rig's Prometheus with 30 days of synthetic history
// (tests/helpers/trends-history.ts): switch ranges, read the disk projection sentence, then make
// Prometheus answer 503 through a proxy and see the banner with the last good time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, TEST_PASSWORD, type RunningServer } from '../helpers/server';
import { launchBrowser } from '../helpers/browser';
import { requirePrometheus, rigEnv } from '../helpers/rig';
import { ensureSharedTrendHistory } from '../helpers/trends-history';
import { startPromProxy, type PromProxy } from '../helpers/prom-proxy';

describe('/trends in a browser', () => {
	const env = rigEnv();
	let server: RunningServer;
	let proxy: PromProxy;
	let browser: Awaited<ReturnType<typeof launchBrowser>>;
	let cleanupDay: string;

	beforeAll(async () => {
		await requirePrometheus(env);
		const { instance, hostId, meta } = await ensureSharedTrendHistory();
		cleanupDay = new Date(meta.cleanupSec * 1000).toISOString().slice(0, 10);
		proxy = await startPromProxy(env.prometheusUrl);
		const selector = `instance="${instance}"`;
		server = await startServer({
			VMW_HOST_ID: hostId,
			VMW_PROMETHEUS_URL: proxy.url,
			VMW_PROMETHEUS_NODE_SELECTOR: selector,
			VMW_PROMETHEUS_CADVISOR_SELECTOR: selector,
			VMW_PROMETHEUS_VMWARDEN_SELECTOR: selector,
			VMW_PROMETHEUS_TIMEOUT_MS: '8000'
		});
		browser = await launchBrowser({ width: 390, height: 844 });
	}, 540_000);
	afterAll(async () => {
		await browser?.close();
		await server?.stop();
		await proxy?.close();
	});

	it('switches ranges and reads the projection sentence; a Prometheus outage shows the last good time', async () => {
		const page = await browser.context.newPage();
		await page.goto(`${server.url}/login?next=/trends`);
		await page.getByTestId('password').fill(TEST_PASSWORD);
		await page.getByTestId('login-submit').click();
		await page.waitForURL(`${server.url}/trends`);

		const sentence = () =>
			page
				.getByTestId('projection-sentence')
				.first()
				.textContent()
				.then((t) => t?.replace(/\s+/g, ' ').trim());
		// 7 d by default. The synthetic disk is 47.5 % at the end of its history and grows 0.5 %/day:
		// (55 − 47.5) / 0.5 = 15 days.
		expect(await page.getByTestId('range-7d').getAttribute('aria-current')).toBe('page');
		expect(await sentence()).toMatch(
			/^\/: estimated to hit 55 % in 15 days \(\+0\.50 %\/day, R² 1\.00\)$/
		);
		expect(await page.getByTestId('trend-source').textContent()).toMatch(
			/From Prometheus · PromQL step 300 s/
		);
		// a chart per catalog entry, each drawn as SVG
		for (const id of ['disk', 'memory', 'steal', 'load', 'containers', 'io']) {
			await expect
				.poll(() => page.getByTestId(`trend-${id}`).locator('svg path').count())
				.toBeGreaterThan(0);
		}
		// usable on a phone: nothing wider than the 390 px viewport
		expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
			390
		);

		// 30 days: the fit starts after the cleanup half-way through, so the answer is the same 15 days
		await page.getByTestId('range-30d').click();
		await page.waitForURL(/\?range=30d$/);
		await expect
			.poll(() => page.getByTestId('range-30d').getAttribute('aria-current'))
			.toBe('page');
		await expect
			.poll(sentence)
			.toBe(
				`/: estimated to hit 55 % in 15 days (+0.50 %/day, R² 1.00, fitted since the cleanup on ${cleanupDay})`
			);
		expect(await page.getByTestId('write-spikes').textContent()).toMatch(
			/invttrdg-backend wrote [\d.]+ GiB on \d{4}-\d\d-\d\d, (9|10)\.\d× its daily median/
		);

		await page.getByTestId('range-24h').click();
		await page.waitForURL(/\?range=24h$/);
		await expect.poll(sentence).toMatch(/^\/: estimated to hit 55 % in 15 days/);
		expect(await page.getByTestId('trend-banner').count()).toBe(0);

		// Prometheus answers 503: every chart says so, with the time of its last good data, and keeps it
		await proxy.set('503');
		await page.reload();
		const banner = page.getByTestId('trend-disk').getByTestId('trend-banner');
		await expect
			.poll(() => banner.textContent())
			.toMatch(
				/Trend source unavailable — showing the last good data from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: .*HTTP 503/
			);
		await expect.poll(sentence).toMatch(/^\/: estimated to hit 55 % in 15 days/);
		// the rest of the app keeps working
		await page.goto(`${server.url}/vm`);
		await expect
			.poll(() => page.getByTestId('card-load').getAttribute('data-status'))
			.toMatch(/^(OK|WARN|CRIT)$/);
		await proxy.set('pass');
		await page.close();
	});
});
