// /settings in a browser: an admin creates a user and an API token (shown once), then revokes it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, TEST_PASSWORD, TEST_TOKEN, type RunningServer } from '../helpers/server';
import { launchBrowser } from '../helpers/browser';

describe('settings page', () => {
	let server: RunningServer;
	let browser: Awaited<ReturnType<typeof launchBrowser>>;
	beforeAll(async () => {
		server = await startServer();
		browser = await launchBrowser({ width: 390, height: 844 });
	});
	afterAll(async () => {
		await browser?.close();
		await server?.stop();
	});

	it('creates a user and a token; the token works until it is revoked', async () => {
		const page = await browser.context.newPage();
		// Every response body the browser receives, to grep for secrets at the end.
		const bodies: Promise<string>[] = [];
		page.on('response', (r) => void bodies.push(r.text().catch(() => '')));
		const cspErrors: string[] = [];
		page.on(
			'console',
			(m) =>
				m.type() === 'error' && /Content Security Policy/.test(m.text()) && cspErrors.push(m.text())
		);
		await page.goto(`${server.url}/login?next=%2Fsettings`);
		await page.getByTestId('password').fill(TEST_PASSWORD);
		await page.getByTestId('login-submit').click();
		await page.waitForURL(`${server.url}/settings`);

		await page.getByLabel('Name', { exact: true }).first().fill('olga');
		await page.getByRole('textbox', { name: 'Password', exact: true }).fill('operator password 1');
		await page.getByRole('button', { name: 'Add user' }).click();
		await expect.poll(() => page.locator('td.mono').allTextContents()).toContain('olga');

		await page.locator('form.inline').nth(1).getByLabel('Name').fill('e2e token');
		await page.getByRole('button', { name: 'Create token' }).click();
		const secret = (await page.getByTestId('token-secret').textContent())!.trim();
		expect(secret).toMatch(/^vmw_/);
		const health = () =>
			fetch(`${server.url}/api/vm/health`, { headers: { authorization: `Bearer ${secret}` } }).then(
				(r) => r.status
			);
		expect(await health()).toBe(200);

		await page.getByRole('button', { name: 'Revoke' }).click();
		await expect.poll(health).toBe(401);
		expect(cspErrors).toEqual([]);
		await page.goto(`${server.url}/vm`);
		await page.close();

		// Part 8: no configured secret, password or hash in any body or log line. The token's
		// secret appears exactly once: in the create answer (shown once).
		const all = await Promise.all(bodies);
		expect(all.length).toBeGreaterThan(5);
		for (const secret of [TEST_PASSWORD, TEST_TOKEN, 'operator password 1']) {
			expect(all.filter((b) => b.includes(secret))).toEqual([]);
			expect(server.output()).not.toContain(secret);
		}
		expect(all.filter((b) => b.includes(secret)).length).toBe(1);
		expect(server.output()).not.toContain(secret);
		expect(all.join('\n') + server.output()).not.toMatch(/scrypt\$/);
	});
});
