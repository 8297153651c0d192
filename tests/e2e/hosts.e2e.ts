// /hosts in a phone-sized browser: an admin of the hub adds another vmwarden instance. "Test
// connection" refuses a read token with the clear message, passes with an operate token; the
// host is saved, tested from the list and edited with its token kept. No token appears in any
// response body the browser received, nor in either server's output.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, TEST_PASSWORD, type RunningServer } from '../helpers/server';
import { launchBrowser } from '../helpers/browser';
import { createVmwardenClient } from '../../src/lib/client';

describe('hosts page', () => {
	let hub: RunningServer;
	let vmB: RunningServer;
	let browser: Awaited<ReturnType<typeof launchBrowser>>;
	let operate: string;
	let read: string;

	beforeAll(async () => {
		[hub, vmB] = await Promise.all([
			startServer({ VMW_HOST_ID: 'hub', VMW_SECRET_KEY: 'e2e-secret-key-0123456789abcdefghijkl' }),
			startServer({ VMW_HOST_ID: 'vm-b' })
		]);
		// tokens of vm-b, made by its admin through the typed client
		const login = await fetch(`${vmB.url}/api/trpc/auth.login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', origin: vmB.url },
			body: JSON.stringify({ json: { password: TEST_PASSWORD } })
		});
		const cookie = login.headers.get('set-cookie')!.split(';')[0];
		const b = createVmwardenClient({ url: vmB.url, headers: { cookie, origin: vmB.url } });
		operate = (await b.tokens.create.mutate({ name: 'hub', scope: 'hub', expiresInDays: null }))
			.secret;
		read = (await b.tokens.create.mutate({ name: 'grafana', scope: 'read', expiresInDays: null }))
			.secret;
		browser = await launchBrowser({ width: 390, height: 844 });
	}, 120_000);
	afterAll(async () => {
		await browser?.close();
		await Promise.allSettled([hub?.stop(), vmB?.stop()]);
	});

	it('adds, tests and edits a vmwarden host; a read token is refused at the test step', async () => {
		const page = await browser.context.newPage();
		const bodies: Promise<string>[] = [];
		page.on('response', (r) => void bodies.push(r.text().catch(() => '')));
		await page.goto(`${hub.url}/login?next=%2Fsettings`);
		await page.getByTestId('password').fill(TEST_PASSWORD);
		await page.getByTestId('login-submit').click();
		await page.waitForURL(`${hub.url}/settings`);
		await page.getByTestId('settings-hosts-link').click();
		await page.waitForURL(`${hub.url}/hosts`);
		await expect
			.poll(() => page.getByTestId('hosts-empty').textContent())
			.toBe('No other hosts yet.');

		await page.getByTestId('host-add').click();
		const form = page.getByTestId('host-form');
		await form.getByLabel(/^Id/).fill('vm-b');
		await form.getByLabel('Name', { exact: true }).fill('VM B');
		await form.getByLabel('URL').fill(vmB.url);
		await form.getByLabel(/^API token/).fill(read);
		await page.getByTestId('host-form-test').click();
		await expect
			.poll(() => page.getByTestId('host-form-result').textContent())
			.toBe(
				'✗ this token has read scope: the hub needs an operate-scope token (to restart containers and run actions on that host); create one there under Settings → API tokens'
			);
		await form.getByLabel(/^API token/).fill(operate);
		await page.getByTestId('host-form-test').click();
		await expect
			.poll(() => page.getByTestId('host-form-result').textContent())
			.toBe(`✓ reached vmwarden at ${vmB.url}; the token has the operator role`);
		await form.getByRole('button', { name: 'Add host' }).click();

		const row = page.getByTestId('host-vm-b');
		await expect.poll(() => row.getByTestId('host-credentials').textContent()).toBe('token');
		await row.getByRole('button', { name: 'Test connection' }).click();
		await expect
			.poll(() => row.getByTestId('host-test-result').textContent())
			.toBe(`✓ reached vmwarden at ${vmB.url}; the token has the operator role`);

		// edit the name only: the stored token is kept
		await row.getByRole('button', { name: 'Edit' }).click();
		await expect
			.poll(() => form.getByLabel(/^API token/).getAttribute('placeholder'))
			.toBe('stored: leave empty to keep');
		await form.getByLabel('Name', { exact: true }).fill('VM B (eu)');
		await form.getByRole('button', { name: 'Save' }).click();
		await expect.poll(() => row.locator('.head strong').textContent()).toBe('VM B (eu)');
		await row.getByRole('button', { name: 'Test connection' }).click();
		await expect
			.poll(() => row.getByTestId('host-test-result').textContent())
			.toBe(`✓ reached vmwarden at ${vmB.url}; the token has the operator role`);

		// usable at 390 px: nothing of the page wider than the screen, the form open too
		await row.getByRole('button', { name: 'Edit' }).click();
		const rightEdges = await page
			.locator('main .panel, main form, main p')
			.evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().right)));
		expect(rightEdges.length).toBeGreaterThan(3);
		expect(rightEdges.filter((r) => r > 390)).toEqual([]);
		expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
			390
		);
		await page.close();

		const all = await Promise.all(bodies);
		expect(all.length).toBeGreaterThan(8);
		for (const secret of [operate, read, operate.slice(4), read.slice(4)]) {
			expect(all.filter((b) => b.includes(secret))).toEqual([]);
			expect(hub.output()).not.toContain(secret);
		}
	});
});
