// Debian's Chromium driven by playwright-core (no browser download).
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const CHROMIUM = process.env.VMW_TEST_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser(
	viewport = { width: 1280, height: 800 }
): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
	const dir = await mkdtemp(path.join(tmpdir(), 'vmw-chromium-'));
	const context = await chromium.launchPersistentContext(dir, {
		executablePath: CHROMIUM,
		headless: true,
		viewport,
		args: [
			'--no-sandbox',
			'--headless',
			'--disable-gpu',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
			'--no-first-run'
		]
	});
	return {
		context,
		async close() {
			await context.close();
			await rm(dir, { recursive: true, force: true });
		}
	};
}

/**
 * Opens `baseUrl + to`, logging in first with `password` when the (shared, persistent) browser
 * has no session yet, and waits until the page asked for is back.
 */
export async function openLoggedIn(
	page: Page,
	baseUrl: string,
	to: string,
	password: string
): Promise<void> {
	await page.goto(`${baseUrl}${to}`);
	if (!new URL(page.url()).pathname.startsWith('/login')) return;
	await page.getByTestId('password').fill(password);
	await page.getByTestId('login-submit').click();
	await page.waitForURL(`${baseUrl}${to}`);
}
