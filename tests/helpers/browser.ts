// Debian's Chromium driven by playwright-core (no browser download).
import { chromium, type BrowserContext } from 'playwright-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const CHROMIUM = process.env.VMW_TEST_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser(viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
	const dir = await mkdtemp(path.join(tmpdir(), 'vmw-chromium-'));
	const context = await chromium.launchPersistentContext(dir, {
		executablePath: CHROMIUM,
		headless: true,
		viewport,
		args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
	});
	return {
		context,
		async close() {
			await context.close();
			await rm(dir, { recursive: true, force: true });
		}
	};
}
