// A person's path through the built app in Debian's Chromium: log in, read the /vm cards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, TEST_PASSWORD, type RunningServer } from '../helpers/server';
import { launchBrowser } from '../helpers/browser';
import { advanceStat, fakeProc, procFixture, type FakeProc } from '../helpers/proc';

/** meminfo.vm-swap with MemAvailable replaced. */
const procFixtureWithMemAvailable = (kB: number) =>
	procFixture('meminfo.vm-swap').replace(/^MemAvailable:\s+\d+ kB$/m, `MemAvailable:   ${kB} kB`);

describe('/vm in a browser', () => {
	let server: RunningServer;
	let browser: Awaited<ReturnType<typeof launchBrowser>>;
	let proc: FakeProc;
	let stopStat: () => void;
	beforeAll(async () => {
		// The server reads a /proc this test writes: meminfo.vm-swap, loadavg.vm, and stat
		// moving by the stat.vm-steal t0 -> t1 delta every 100 ms (8.25 % steal in every interval).
		proc = fakeProc({ meminfo: 'meminfo.vm-swap', loadavg: 'loadavg.vm' });
		stopStat = advanceStat(proc, 100);
		server = await startServer({ VMW_PROC_ROOT: proc.dir });
		browser = await launchBrowser();
	});
	afterAll(async () => {
		await browser?.close();
		await server?.stop();
		stopStat?.();
		proc?.cleanup();
	});

	it('logs in and sees the health cards with the figures of its /proc, updating live', async () => {
		const page = await browser.context.newPage();
		await page.goto(`${server.url}/vm`);
		await page.waitForURL(/\/login\?next=%2Fvm/);

		await page.getByTestId('password').fill('not the password');
		await page.getByTestId('login-submit').click();
		await expect
			.poll(() => page.getByTestId('login-error').textContent())
			.toMatch(/Wrong name or password/);

		await page.getByTestId('password').fill(TEST_PASSWORD);
		await page.getByTestId('login-submit').click();
		await page.waitForURL(`${server.url}/vm`);

		const value = (id: string) =>
			page
				.getByTestId(id)
				.getByTestId('value')
				.textContent()
				.then((t) => t?.trim());
		const status = (id: string) => page.getByTestId(id).getAttribute('data-status');
		// The figures written into the proc root, formatted by hand:
		//   steal 33 of 400 jiffies = 8.25 % -> "8.3 %", WARN (> 5 %)
		//   loadavg.vm load1 1.82 -> "1.82"
		//   MemAvailable 10695112 kB = 10.1997 GiB -> "10.2 GiB"
		//   swap used 4194300 - 2726300 = 1468000 kB = 1.39999 GiB -> "1.4 GiB"
		await expect.poll(() => value('card-steal'), { timeout: 10_000 }).toBe('8.3 %');
		expect(await status('card-steal')).toBe('WARN');
		expect(await value('card-load')).toBe('1.82');
		expect(await value('card-memory')).toBe('10.2 GiB');
		expect(await value('card-swap')).toBe('1.4 GiB');
		expect(await status('card-disk-/')).toMatch(/^(OK|WARN|CRIT)$/);
		await expect
			.poll(() => page.getByTestId('live-indicator').getAttribute('data-state'), {
				timeout: 10_000
			})
			.toBe('live');

		// Live: the test changes its /proc and the open page shows the new figures without a reload.
		proc.write('loadavg', '3.47 2.00 1.00 5/1400 4242\n');
		proc.write('meminfo', procFixtureWithMemAvailable(4 * 1024 * 1024)); // 4 GiB in kB
		await expect.poll(() => value('card-load'), { timeout: 10_000 }).toBe('3.47');
		await expect.poll(() => value('card-memory'), { timeout: 10_000 }).toBe('4 GiB');
		expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1); // no reload
		await page.close();
	});

	it('reads on a phone without sideways scrolling', async () => {
		const page = await browser.context.newPage();
		await page.setViewportSize({ width: 390, height: 844 });
		await page.goto(`${server.url}/vm`);
		await page.getByTestId('card-steal').waitFor();
		const overflow = await page.evaluate(
			() => document.documentElement.scrollWidth - window.innerWidth
		);
		expect(overflow).toBeLessThanOrEqual(0);
		await page.close();
	});
});

describe('/vm with a malformed /proc file', () => {
	let server: RunningServer;
	let browser: Awaited<ReturnType<typeof launchBrowser>>;
	let proc: FakeProc;
	beforeAll(async () => {
		proc = fakeProc({ meminfo: 'meminfo.vm-swap', loadavg: 'loadavg.vm' });
		proc.write('stat', 'cpu  1 2\n'); // truncated
		server = await startServer({ VMW_PROC_ROOT: proc.dir });
		browser = await launchBrowser();
	});
	afterAll(async () => {
		await browser?.close();
		await server?.stop();
		proc?.cleanup();
	});

	it('shows the error in the steal card and keeps the other cards', async () => {
		const page = await browser.context.newPage();
		await page.goto(`${server.url}/login?next=/vm`);
		await page.getByTestId('password').fill(TEST_PASSWORD);
		await page.getByTestId('login-submit').click();
		await page.waitForURL(`${server.url}/vm`);

		const steal = page.getByTestId('card-steal');
		await expect.poll(() => steal.getAttribute('data-status')).toBe('UNKNOWN');
		expect(await steal.textContent()).toMatch(
			/Cannot read: .*\/stat: line 'cpu {2}1 2' has 2 fields, expected at least 8/
		);
		// meminfo fixture: SwapCached 245 MiB > 200 MiB flags the swap card; MemAvailable 10.2 GiB
		expect(await page.getByTestId('card-memory').getAttribute('data-status')).toBe('OK');
		expect(await page.getByTestId('card-swap').textContent()).toMatch(/245(\.0)?\s*MiB/);
		expect(server.output()).not.toMatch(/Unhandled|TypeError/);
		await page.close();
	});
});
