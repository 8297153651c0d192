// Several VMs from one dashboard (issue 15, UI), in Debian's Chromium: three real built
// instances — a hub ("hub") with two vmwarden instances registered through its admin API
// ("vm-b", "vm-c", each with an operate token made on it) — each
// watching its own containers on the rig's dockerd (scoped by label). A person opens the
// all-hosts overview, switches to vm-b, restarts an unhealthy container there (through the hub),
// comes back to the overview and sees every row; then vm-c stops and its row says so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import type { Page } from 'playwright-core';
import { startServer, TEST_PASSWORD, type RunningServer } from '../helpers/server';
import { launchBrowser } from '../helpers/browser';
import { requireDocker, rigEnv } from '../helpers/rig';
import { fakeProc, type FakeProc } from '../helpers/proc';
import {
	createTestContainer,
	newRunId,
	removeRun,
	TEST_LABEL,
	waitFor
} from '../helpers/containers';

const env = rigEnv();
const run = newRunId('e2e-hub');
// each instance sees only its own containers: one label value per host
const label = { hub: `${run}-hub`, b: `${run}-b`, c: `${run}-c` };
const flaky = `${run}-b-flaky`;
const steadyC = `${run}-c-steady`;
const SECRET_KEY = 'e2e-hub-secret-key-0123456789abcdef0123456789';

let docker: Docker;
let hub: RunningServer;
let vmB: RunningServer;
let vmC: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
// each remote VM has its own load average, so a page shows which host it reads
const LOAD = { b: '3.21', c: '0.42' };
let procs: FakeProc[] = [];
let tokens: string[] = [];
let admin: Awaited<ReturnType<typeof asAdmin>>;
/** every hub response body the browser received (not the SSE streams, which never end) */
const bodies: Promise<string>[] = [];

const instanceEnv = (hostId: string, labelValue: string, procRoot?: string) => ({
	...(procRoot ? { VMW_PROC_ROOT: procRoot } : {}),
	VMW_HOST_ID: hostId,
	VMW_DOCKER_HOST: env.dockerHost,
	VMW_CONTAINER_LABELS: `${TEST_LABEL}=${labelValue}`,
	VMW_CONTAINER_SAMPLE_INTERVAL_MS: '500'
});

/** tRPC mutations on `server` as its admin (logged in over HTTP, as the browser would be). */
async function asAdmin(server: RunningServer) {
	const post = (proc: string, input: unknown, cookie = '') =>
		fetch(`${server.url}/api/trpc/${proc}`, {
			method: 'POST',
			headers: {
				'content-type': 'application/json',
				origin: server.url,
				'sec-fetch-site': 'same-origin',
				cookie
			},
			body: JSON.stringify({ json: input })
		});
	const login = await post('auth.login', { password: TEST_PASSWORD });
	if (login.status !== 200)
		throw new Error(`login on ${server.url}: HTTP ${login.status} ${await login.text()}`);
	const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
	return async (proc: string, input: unknown) => {
		const res = await post(proc, input, cookie);
		if (res.status !== 200)
			throw new Error(`${proc} on ${server.url}: HTTP ${res.status} ${await res.text()}`);
		return (await res.json()).result.data.json;
	};
}

/** An `operate` API token on `server`, made the way an admin would (tokens.create). */
async function operateToken(server: RunningServer): Promise<string> {
	return (
		await (
			await asAdmin(server)
		)('tokens.create', { name: 'hub', scope: 'hub', expiresInDays: null })
	).secret;
}

/** Opens `path` on `server`, logging in first when the (persistent) browser has no session there yet. */
async function open(page: Page, server: RunningServer, pathAndQuery: string) {
	await page.goto(`${server.url}${pathAndQuery}`);
	if (!new URL(page.url()).pathname.startsWith('/login')) return;
	await page.getByTestId('password').fill(TEST_PASSWORD);
	await page.getByTestId('login-submit').click();
	await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

const row = (page: Page, hostId: string) =>
	page.locator(`[data-testid="overview-row"][data-host="${hostId}"]`);

beforeAll(async () => {
	docker = await requireDocker(env);
	await Promise.all([
		// unhealthy on its first run; its writable layer keeps /marker, so after a restart it is healthy
		createTestContainer(docker, env.testImage, label.b, {
			name: flaky,
			cmd: 'if [ -f /marker ]; then touch /tmp/ok; fi; touch /marker; sleep 3600',
			health: { cmd: 'test -f /tmp/ok' }
		}),
		createTestContainer(docker, env.testImage, label.c, { name: steadyC, health: { cmd: 'true' } })
	]);
	await waitFor(
		'the flaky container to turn unhealthy',
		async () => (await docker.getContainer(flaky).inspect()).State.Health?.Status === 'unhealthy'
	);

	procs = [LOAD.b, LOAD.c].map((load1) => {
		const proc = fakeProc({ stat: 'stat.vm-steal.t0', meminfo: 'meminfo.vm-swap' });
		proc.write('loadavg', `${load1} 1.00 0.50 1/200 4242\n`);
		return proc;
	});
	[vmB, vmC] = await Promise.all([
		startServer(instanceEnv('vm-b', label.b, procs[0].dir)),
		startServer(instanceEnv('vm-c', label.c, procs[1].dir))
	]);
	const [tokenB, tokenC] = await Promise.all([operateToken(vmB), operateToken(vmC)]);
	tokens = [tokenB, tokenC];

	// The hub, and its registry written through its admin API (hosts.add), as on /hosts.
	hub = await startServer({
		...instanceEnv('hub', label.hub),
		VMW_SECRET_KEY: SECRET_KEY,
		VMW_HUB_REFRESH_MS: '1000'
	});
	admin = await asAdmin(hub);
	await admin('hosts.add', {
		id: 'vm-b',
		name: 'VM B',
		kind: 'vmwarden',
		url: vmB.url,
		timeoutMs: 3000,
		secrets: { token: tokenB }
	});
	await admin('hosts.add', {
		id: 'vm-c',
		name: 'VM C',
		kind: 'vmwarden',
		url: vmC.url,
		timeoutMs: 3000,
		secrets: { token: tokenC }
	});
	browser = await launchBrowser();
	browser.context.on('response', (r) => {
		if (
			!r.url().startsWith(hub.url) ||
			(r.headers()['content-type'] ?? '').includes('event-stream')
		)
			return;
		bodies.push(r.text().catch(() => ''));
	});
}, 180_000);

afterAll(async () => {
	await browser?.close();
	await Promise.allSettled([hub?.stop(), vmB?.stop(), vmC?.stop()]);
	for (const p of procs) p.cleanup();
	if (docker) await Promise.all(Object.values(label).map((l) => removeRun(docker, l)));
});

describe('hub in a browser: overview, host switcher, a restart on another host', () => {
	it('a single VM shows a small host indicator, no switcher and no "All hosts"', async () => {
		const page = await browser.context.newPage();
		await open(page, vmB, '/');
		expect(await page.getByTestId('host-indicator').textContent()).toContain('vm-b');
		expect(await page.getByTestId('host-switcher').count()).toBe(0);
		expect(await page.getByRole('link', { name: 'All hosts' }).count()).toBe(0);
		// links stay plain
		expect(
			await page
				.getByRole('navigation', { name: 'Main' })
				.getByRole('link', { name: 'Containers' })
				.getAttribute('href')
		).toBe('/containers');
		await page.close();
	});

	it('overview → switch to vm-b → restart its unhealthy container → back to the overview', async () => {
		const page = await browser.context.newPage();
		await open(page, hub, '/overview');
		// one row per VM, each answering (the remote rows come from their own hub.summary)
		await expect.poll(() => page.getByTestId('overview-row').count(), { timeout: 20_000 }).toBe(3);
		for (const id of ['hub', 'vm-b', 'vm-c'])
			await expect
				.poll(() => row(page, id).getAttribute('data-state'), { timeout: 20_000 })
				.toBe('ok');
		// vm-b's row counts its one unhealthy container, by name (vm-b sees only its label)
		await expect
			.poll(() => row(page, 'vm-b').getByTestId('overview-unhealthy').getAttribute('data-count'), {
				timeout: 20_000
			})
			.toBe('1');
		expect(await row(page, 'vm-b').getByTestId('overview-unhealthy').textContent()).toContain(
			flaky
		);
		expect(
			await row(page, 'vm-c').getByTestId('overview-unhealthy').getAttribute('data-count')
		).toBe('0');
		// "All hosts" is the first nav link when several hosts exist
		expect(
			await page.getByRole('navigation', { name: 'Main' }).getByRole('link').first().textContent()
		).toBe('All hosts');

		// switch host in the header: from the overview, that host's dashboard
		const menu = page.getByTestId('host-switcher');
		await menu.locator('summary').click();
		// a menu: Escape and a click elsewhere close it
		await page.keyboard.press('Escape');
		expect(await menu.getAttribute('open')).toBeNull();
		await menu.locator('summary').click();
		await page.getByRole('heading', { name: 'All hosts' }).click();
		expect(await menu.getAttribute('open')).toBeNull();
		await menu.locator('summary').click();
		expect(
			await page
				.getByTestId('host-option')
				.evaluateAll((els) => els.map((e) => e.getAttribute('data-host')))
		).toEqual(['hub', 'vm-b', 'vm-c']);
		await page.locator('[data-testid="host-option"][data-host="vm-b"]').click();
		await page.waitForURL(`${hub.url}/?host=vm-b`);
		expect(await page.getByTestId('host-current').getAttribute('data-host')).toBe('vm-b');

		// nav links keep the host; /containers on vm-b lists vm-b's containers (the hub's label has none)
		const containersLink = page
			.getByRole('navigation', { name: 'Main' })
			.getByRole('link', { name: 'Containers' });
		expect(await containersLink.getAttribute('href')).toBe('/containers?host=vm-b');
		await containersLink.click();
		await page.waitForURL(`${hub.url}/containers?host=vm-b`);
		const flakyRow = page.locator(`[data-testid="container-row"][data-name="${flaky}"]`);
		await expect
			.poll(() => flakyRow.getAttribute('data-condition'), { timeout: 20_000 })
			.toBe('unhealthy');
		expect(await page.getByTestId('container-row').count()).toBe(1);

		const startedBefore = (await docker.getContainer(flaky).inspect()).State.StartedAt;
		await page.getByTestId('restart-unhealthy').click();
		await page.getByTestId('confirm-restart').click();
		await expect
			.poll(() => page.getByTestId('restart-outcome').textContent(), { timeout: 30_000 })
			.toContain(`${flaky}: restarted`);
		// it really restarted, on the rig's dockerd, and the live row (vm-b's stream through the hub) turns healthy
		expect((await docker.getContainer(flaky).inspect()).State.StartedAt).not.toBe(startedBefore);
		await expect
			.poll(() => flakyRow.getAttribute('data-condition'), { timeout: 30_000 })
			.toBe('healthy');

		// vm-b's own audit log, read through the hub, has the restart with the hub user beside the hub's token
		await page
			.getByRole('navigation', { name: 'Main' })
			.getByRole('link', { name: 'Activity' })
			.click();
		await page.waitForURL(`${hub.url}/activity?host=vm-b`);
		const restartRow = page
			.locator('tr', { hasText: flaky })
			.filter({ hasText: 'containers.restart' });
		await expect.poll(() => restartRow.count(), { timeout: 10_000 }).toBeGreaterThan(0);
		expect(await restartRow.first().textContent()).toMatch(/for session:admin/);

		// back to the overview: every row, vm-b now without unhealthy containers
		await page
			.getByRole('navigation', { name: 'Main' })
			.getByRole('link', { name: 'All hosts' })
			.click();
		await page.waitForURL(/\/overview\?host=vm-b$/);
		await expect.poll(() => page.getByTestId('overview-row').count()).toBe(3);
		await expect
			.poll(() => row(page, 'vm-b').getByTestId('overview-unhealthy').getAttribute('data-count'), {
				timeout: 30_000
			})
			.toBe('0');
		expect(await row(page, 'vm-b').getByTestId('overview-link').getAttribute('href')).toBe(
			'/?host=vm-b'
		);
		await page.close();
	});

	it('the switch was remembered for this user: the hub opens on vm-b without ?host=', async () => {
		const page = await browser.context.newPage();
		await open(page, hub, '/maintenance');
		expect(await page.getByTestId('host-current').getAttribute('data-host')).toBe('vm-b');
		expect(
			await page
				.getByRole('navigation', { name: 'Main' })
				.getByRole('link', { name: 'Containers' })
				.getAttribute('href')
		).toBe('/containers?host=vm-b');
		// a deep link to another host wins over the remembered one
		await open(page, hub, '/containers?host=vm-c');
		expect(await page.getByTestId('host-current').getAttribute('data-host')).toBe('vm-c');
		await expect
			.poll(() => page.locator(`[data-testid="container-row"][data-name="${steadyC}"]`).count(), {
				timeout: 20_000
			})
			.toBe(1);
		// a link to a host the hub does not know says so, and shows the remembered one
		await open(page, hub, '/maintenance?host=nope');
		expect(await page.getByTestId('host-notice').textContent()).toBe(
			'Host "nope" is not registered on this hub; showing your last host, vm-b.'
		);
		expect(await page.getByTestId('host-current').getAttribute('data-host')).toBe('vm-b');

		// /vm reads the chosen host's /proc, at load and live: switching on the same page re-targets the live feed
		const load1 = page.getByTestId('card-load').getByTestId('value');
		await open(page, hub, '/vm?host=vm-c');
		expect(await load1.textContent()).toBe(LOAD.c);
		await page.getByTestId('host-switcher').locator('summary').click();
		await page.locator('[data-testid="host-option"][data-host="vm-b"]').click();
		await page.waitForURL(`${hub.url}/vm?host=vm-b`);
		await expect.poll(() => load1.textContent()).toBe(LOAD.b);
		// several live pushes later (vm-b samples every 500 ms) it is still vm-b's figure, not vm-c's
		await page.waitForTimeout(2000);
		expect(await load1.textContent()).toBe(LOAD.b);
		await page.close();
	});

	it('a bare Docker host: the switcher opens its containers, its row links there, a page it lacks says so', async () => {
		// the rig's daemon as a bare Engine on the hub's machine: it sees every container there, ours among them
		await admin('hosts.add', {
			id: 'edge',
			name: 'Edge Docker',
			kind: 'docker',
			dockerHost: env.dockerHost,
			timeoutMs: 3000
		});
		const page = await browser.context.newPage();
		await open(page, hub, '/vm?host=vm-b');
		await page.getByTestId('host-switcher').locator('summary').click();
		const option = page.locator('[data-testid="host-option"][data-host="edge"]');
		expect(await option.locator('.kind').textContent()).toBe('Docker');
		await option.click();
		await page.waitForURL(`${hub.url}/containers?host=edge`);
		await expect
			.poll(() => page.locator(`[data-testid="container-row"][data-name="${flaky}"]`).count(), {
				timeout: 20_000
			})
			.toBe(1);
		// its menu has what such a host has
		expect(
			await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()
		).toEqual(['All hosts', 'Containers', 'Activity', 'Settings']);

		await open(page, hub, '/overview');
		await expect.poll(() => row(page, 'edge').count(), { timeout: 20_000 }).toBe(1);
		expect(await row(page, 'edge').getByTestId('overview-link').getAttribute('href')).toBe(
			'/containers?host=edge'
		);

		await page.goto(`${hub.url}/vm?host=edge`);
		expect(await page.getByTestId('page-error').textContent()).toMatch(
			/^On host edge: .*bare Docker host/
		);
		// the switch remembered it: opening the app lands on its containers, not on a page it lacks
		await page.goto(`${hub.url}/`);
		await page.waitForURL(`${hub.url}/containers?host=edge`);
		await page.close();
	});

	it('a stopped host: its row says unavailable, with the reason and the time of its last good data, while the others stay', async () => {
		const page = await browser.context.newPage();
		await page.setViewportSize({ width: 390, height: 844 });
		await open(page, hub, '/overview');
		await expect
			.poll(() => row(page, 'vm-c').getAttribute('data-state'), { timeout: 20_000 })
			.toBe('ok');
		await vmC.stop();
		// live: no reload
		await expect
			.poll(() => row(page, 'vm-c').getAttribute('data-state'), { timeout: 30_000 })
			.toBe('unavailable');
		const why = await row(page, 'vm-c').getByTestId('overview-unavailable').textContent();
		expect(why).toMatch(
			/Unavailable: .+\. Showing its last good data, from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\./
		);
		// its last good figures are still shown (greyed), and it sorts first (worst)
		expect(await row(page, 'vm-c').getByTestId('overview-data').count()).toBe(1);
		expect(await page.getByTestId('overview-row').first().getAttribute('data-host')).toBe('vm-c');
		expect(await row(page, 'vm-b').getAttribute('data-state')).toBe('ok');
		// usable on a phone: no sideways scrolling
		expect(
			await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
		).toBeLessThanOrEqual(0);

		// its dashboard says which host does not answer (not a bare "Internal Error"); the header still switches
		await page.goto(`${hub.url}/vm?host=vm-c`);
		const error = await page.getByTestId('page-error').textContent();
		expect(error).toMatch(/^On host vm-c: /);
		expect(error).not.toContain('Internal Error');
		expect(await page.getByTestId('host-current').getAttribute('data-host')).toBe('vm-c');
		await page.close();
	});

	it('no host token reached the browser: not in any page, data or API answer the hub sent', async () => {
		const all = await Promise.all(bodies);
		// pages, their data and tRPC answers of the flows above
		expect(all.length).toBeGreaterThan(20);
		expect(all.join('\n')).toContain('VM B');
		for (const token of tokens) expect(all.filter((b) => b.includes(token))).toEqual([]);
	});
});
