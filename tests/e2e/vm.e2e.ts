// A person's path through the built app in Debian's Chromium: log in, read the /vm cards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, TEST_PASSWORD, type RunningServer } from '../helpers/server';
import { launchBrowser } from '../helpers/browser';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/proc');

describe('/vm in a browser', () => {
	let server: RunningServer;
	let browser: Awaited<ReturnType<typeof launchBrowser>>;
	beforeAll(async () => {
		server = await startServer();
		browser = await launchBrowser();
	});
	afterAll(async () => {
		await browser?.close();
		await server?.stop();
	});

	it('logs in and sees the health cards with real values, updating live', async () => {
		const page = await browser.context.newPage();
		await page.goto(`${server.url}/vm`);
		await page.waitForURL(/\/login\?next=%2Fvm/);

		await page.getByTestId('password').fill('not the password');
		await page.getByTestId('login-submit').click();
		await expect.poll(() => page.getByTestId('login-error').textContent()).toMatch(/Wrong name or password/);

		await page.getByTestId('password').fill(TEST_PASSWORD);
		await page.getByTestId('login-submit').click();
		await page.waitForURL(`${server.url}/vm`);

		for (const id of ['card-steal', 'card-load', 'card-memory', 'card-swap', 'card-disk-/']) {
			const card = page.getByTestId(id);
			await card.waitFor();
			expect(['OK', 'WARN', 'CRIT']).toContain(await card.getAttribute('data-status'));
			// a number with a unit or a percentage, not a placeholder
			await expect.poll(() => card.getByTestId('value').textContent(), { timeout: 10_000 }).toMatch(/\d/);
		}
		// steal shows a percentage once the second sample is in
		await expect.poll(() => page.getByTestId('card-steal').getByTestId('value').textContent(), { timeout: 10_000 }).toMatch(/\d+(\.\d)?\s*%/);
		await expect.poll(() => page.getByTestId('live-indicator').textContent(), { timeout: 10_000 }).toMatch(/live/i);
		await page.close();
	});

	it('reads on a phone without sideways scrolling', async () => {
		const page = await browser.context.newPage();
		await page.setViewportSize({ width: 390, height: 844 });
		await page.goto(`${server.url}/vm`);
		await page.getByTestId('card-steal').waitFor();
		const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
		expect(overflow).toBeLessThanOrEqual(0);
		await page.close();
	});
});

describe('/vm with a malformed /proc file', () => {
	let server: RunningServer;
	let browser: Awaited<ReturnType<typeof launchBrowser>>;
	let procRoot: string;
	beforeAll(async () => {
		procRoot = await mkdtemp(path.join(tmpdir(), 'vmw-badproc-'));
		await writeFile(path.join(procRoot, 'stat'), 'cpu  1 2\n'); // truncated
		await copyFile(path.join(fixtures, 'meminfo.vm-swap'), path.join(procRoot, 'meminfo'));
		await copyFile(path.join(fixtures, 'loadavg.vm'), path.join(procRoot, 'loadavg'));
		server = await startServer({ VMW_PROC_ROOT: procRoot });
		browser = await launchBrowser();
	});
	afterAll(async () => {
		await browser?.close();
		await server?.stop();
		await rm(procRoot, { recursive: true, force: true });
	});

	it('shows the error in the steal card and keeps the other cards', async () => {
		const page = await browser.context.newPage();
		await page.goto(`${server.url}/login?next=/vm`);
		await page.getByTestId('password').fill(TEST_PASSWORD);
		await page.getByTestId('login-submit').click();
		await page.waitForURL(`${server.url}/vm`);

		const steal = page.getByTestId('card-steal');
		await expect.poll(() => steal.getAttribute('data-status')).toBe('UNKNOWN');
		expect(await steal.textContent()).toMatch(/Cannot read: .*\/stat: line 'cpu  1 2' has 2 fields, expected at least 8/);
		// meminfo fixture: SwapCached 245 MiB > 200 MiB flags the swap card; MemAvailable 10.2 GiB
		expect(await page.getByTestId('card-memory').getAttribute('data-status')).toBe('OK');
		expect(await page.getByTestId('card-swap').textContent()).toMatch(/245(\.0)?\s*MiB/);
		expect(server.output()).not.toMatch(/Unhandled|TypeError/);
		await page.close();
	});
});
