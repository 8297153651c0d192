// First start without an admin password: only the setup token from the log claims the install.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../helpers/server';
import { launchBrowser } from '../helpers/browser';

describe('first-start setup in a browser', () => {
	let server: RunningServer;
	let browser: Awaited<ReturnType<typeof launchBrowser>>;
	beforeAll(async () => {
		server = await startServer({ VMW_ADMIN_PASSWORD: '' });
		browser = await launchBrowser();
	});
	afterAll(async () => {
		await browser?.close();
		await server?.stop();
	});

	it('takes the logged setup token, sets the password, and that password logs in after logout', async () => {
		const token = /setup token: ([\w-]+)/.exec(server.output())?.[1];
		expect(token, 'the server logs a one-time setup token').toBeTruthy();
		const page = await browser.context.newPage();

		await page.goto(`${server.url}/vm`);
		await page.waitForURL(/\/setup/);

		const password = 'a brand new admin password';
		await page.getByTestId('setup-token').fill('not-the-token');
		await page.getByTestId('password').fill(password);
		await page.getByTestId('password-confirm').fill(password);
		await page.getByTestId('setup-submit').click();
		await expect
			.poll(() => page.getByTestId('setup-error').textContent())
			.toMatch(/Wrong setup token/);

		await page.getByTestId('setup-token').fill(token!);
		await page.getByTestId('setup-submit').click();
		await page.waitForURL(`${server.url}/`);

		await page.getByTestId('logout').click();
		await page.waitForURL(/\/login/);
		expect((await page.request.get(`${server.url}/api/vm/health`)).status()).toBe(401);

		await page.getByTestId('password').fill(password);
		await page.getByTestId('login-submit').click();
		await page.waitForURL(`${server.url}/`);
		expect((await page.request.get(`${server.url}/api/vm/health`)).status()).toBe(200);
		await page.close();
	});
});
