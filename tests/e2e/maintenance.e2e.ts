// /maintenance in Debian's Chromium: the fixture crontab's jobs, a dry run started from the
// page with its steps completing live, then the run in the recent-runs table and the chart.
// The host is a stock Debian 12 one besides: its /etc/crontab, /etc/cron.d files and dpkg
// status (tests/fixtures/crontab/debian-12) under a rootfs of the test's own, so the
// distribution's jobs show apart, collapsed, under "System jobs".
// The script runs for real (direct runner) against the rig's dockerd, scoped to this test's
// label; a dry run frees nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, TEST_PASSWORD, TEST_TOKEN, type RunningServer } from '../helpers/server';
import { launchBrowser } from '../helpers/browser';

const root = path.resolve(import.meta.dirname, '../..');

describe('/maintenance in a browser', () => {
	let server: RunningServer;
	let browser: Awaited<ReturnType<typeof launchBrowser>>;
	let dir: string;
	beforeAll(async () => {
		if (!process.env.DOCKER_HOST)
			throw new Error('DOCKER_HOST is unset: source /tmp/vmwarden-rig/env');
		dir = mkdtempSync(path.join(tmpdir(), 'vmw-maint-e2e-'));
		mkdirSync(path.join(dir, 'log'));
		mkdirSync(path.join(dir, 'spool'));
		copyFileSync(
			path.join(root, 'tests/fixtures/crontab/root.crontab'),
			path.join(dir, 'spool/root')
		);
		const debian = path.join(root, 'tests/fixtures/crontab/debian-12');
		mkdirSync(path.join(dir, 'rootfs/etc/cron.d'), { recursive: true });
		mkdirSync(path.join(dir, 'rootfs/var/lib/dpkg'), { recursive: true });
		mkdirSync(path.join(dir, 'rootfs/opt/old'), { recursive: true });
		copyFileSync(path.join(debian, 'crontab'), path.join(dir, 'rootfs/etc/crontab'));
		for (const f of ['e2scrub_all', 'sysstat'])
			copyFileSync(path.join(debian, 'cron.d', f), path.join(dir, 'rootfs/etc/cron.d', f));
		copyFileSync(path.join(debian, 'dpkg-status'), path.join(dir, 'rootfs/var/lib/dpkg/status'));
		// The roadmap crontab's commented-out /opt/old/backup.sh still exists on this host: a disabled job.
		writeFileSync(path.join(dir, 'rootfs/opt/old/backup.sh'), '#!/bin/sh\n', { mode: 0o755 });
		// One real run recorded yesterday so the headline has something: 1.5 MiB freed.
		const ts = new Date(Date.now() - 86_400_000).toISOString();
		writeFileSync(
			path.join(dir, 'log/vm-cleanup.jsonl'),
			JSON.stringify({
				event: 'start',
				runId: 'old-1',
				ts,
				mode: 'standard',
				dryRun: false,
				pid: 42,
				hostId: 'vm'
			}) +
				'\n' +
				JSON.stringify({
					runId: 'old-1',
					hostId: 'vm',
					ts,
					mode: 'standard',
					dryRun: false,
					diskBefore: null,
					diskAfter: null,
					freedBytes: 1572864,
					durationMs: 900,
					status: 'ok',
					steps: []
				}) +
				'\n'
		);
		server = await startServer({
			HOME: process.env.HOME ?? '/root',
			DOCKER_HOST: process.env.DOCKER_HOST,
			VMW_LOG_DIR: path.join(dir, 'log'),
			VMW_SCRIPTS_DIR: path.join(root, 'scripts'),
			VMW_CRONTABS: [
				path.join(dir, 'spool/root'),
				`system:${path.join(dir, 'rootfs/etc/crontab')}`,
				path.join(dir, 'rootfs/etc/cron.d')
			].join(','),
			VMW_ROOTFS: path.join(dir, 'rootfs'),
			VMW_CLEANUP_LOCK_FILE: path.join(dir, 'cleanup.lock'),
			VMW_CLEANUP_HOLD_FILE: path.join(dir, 'cleanup.hold'),
			VMW_CLEANUP_DOCKER_FILTERS: `label=vmw.test.maint-e2e=${path.basename(dir)}`,
			VMW_APT_GET_BIN: '/nonexistent/apt-get',
			VMW_PNPM_BIN: '/nonexistent/pnpm',
			VMW_JOURNALCTL_BIN: '/nonexistent/journalctl'
		});
		browser = await launchBrowser();
	});
	afterAll(async () => {
		await browser?.close();
		await server?.stop();
		if (dir) rmSync(dir, { recursive: true, force: true });
	});

	it('shows the jobs, runs a dry run with live steps, and lists it afterwards', async () => {
		const page = await browser.context.newPage();
		await page.goto(`${server.url}/login?next=%2Fmaintenance`);
		await page.getByTestId('password').fill(TEST_PASSWORD);
		await page.getByTestId('login-submit').click();
		await page.waitForURL(`${server.url}/maintenance`);

		await expect
			.poll(() => page.getByTestId('last-cleanup').textContent())
			.toMatch(/Last cleanup: .* UTC, freed 1\.5 MiB/);
		// The operator's jobs, under the names they always had, in their own table.
		const rows = page.getByTestId('jobs').getByTestId('job-row');
		expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-job')))).toEqual([
			'restore-iptables',
			'hermes-root-backup',
			'rotate-ticks',
			'health-check',
			'cleanup-standard',
			'cleanup-weekly',
			'cleanup-full',
			'backup',
			'curl'
		]);
		expect(await page.locator('[data-job="backup"]').getAttribute('data-state')).toBe('disabled');

		// The distribution's, below them, collapsed: named by what they run, and no `command`
		// job made of /etc/crontab's commented example.
		const system = page.getByTestId('system-jobs');
		expect(await system.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
		expect(await system.locator('summary').textContent()).toContain('System jobs (8)');
		const systemRows = system.getByTestId('job-row');
		expect(
			await systemRows.evaluateAll((els) => els.map((e) => e.getAttribute('data-job')))
		).toEqual([
			'cron.hourly',
			'cron.daily',
			'cron.weekly',
			'cron.monthly',
			'e2scrub_all_cron',
			'e2scrub_all',
			'debian-sa1',
			'debian-sa1-2'
		]);
		expect(await systemRows.first().isVisible()).toBe(false);
		expect(
			await page.locator('[data-job="command"], [data-job^="test"], [data-job="run-parts"]').count()
		).toBe(0);
		// The system table comes after the operator's in the page.
		expect(
			await page.evaluate(() => {
				const own = document.querySelector('[data-testid="jobs"]')!;
				const sys = document.querySelector('[data-testid="system-jobs"]')!;
				return Boolean(own.compareDocumentPosition(sys) & Node.DOCUMENT_POSITION_FOLLOWING);
			})
		).toBe(true);
		await system.locator('summary').click();
		expect(await systemRows.first().isVisible()).toBe(true);
		expect(await system.locator('[data-job="e2scrub_all"] .tag').textContent()).toBe('e2fsprogs');
		await system.locator('[data-job="cron.daily"] button.link').click();
		expect(await system.getByTestId('job-detail').textContent()).toContain(
			'test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }'
		);

		// Expanding an unrecorded job shows the line that would record it.
		await page.locator('[data-job="hermes-root-backup"] button.link').click();
		await expect
			.poll(() => page.getByTestId('jobs').getByTestId('wrap-suggestion').textContent())
			.toContain('cron-run.sh hermes-root-backup -- /opt/bytelyst/hermes/hermes-root-backup.sh');

		await page.getByTestId('dry-run').click();
		await page.getByTestId('run-view').waitFor();
		await expect
			.poll(() => page.getByTestId('run-view').getAttribute('data-state'), { timeout: 60_000 })
			.toBe('ok');
		expect(
			await page
				.getByTestId('run-step')
				.evaluateAll((els) =>
					els.map((e) => `${e.getAttribute('data-step')}:${e.getAttribute('data-state')}`)
				)
		).toEqual(['docker_build_cache:ok', 'docker_dangling_images:ok', 'docker_container_logs:ok']);
		expect(await page.locator('progress').evaluate((p) => (p as HTMLProgressElement).value)).toBe(
			1
		);

		// After the run the page reloads its data: two runs in the table, newest (the dry run) first.
		await expect.poll(() => page.getByTestId('recent-run').count(), { timeout: 10_000 }).toBe(2);
		expect(await page.getByTestId('recent-run').first().textContent()).toContain(
			'standard (dry run)'
		);
		expect(await page.getByTestId('cleanup-chart').getAttribute('data-runs')).toBe('2');
		// The dry run freed nothing: the headline still names yesterday's run.
		expect(await page.getByTestId('last-cleanup').textContent()).toMatch(/freed 1\.5 MiB/);
		// The reload after the run left the system jobs as the operator opened them.
		expect(await system.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
		await page.screenshot({ path: '/tmp/vmw-maint-desktop.png', fullPage: true });
		await page.close();
	});

	it('shows the buttons disabled, with the reason, to the read-only token', async () => {
		const page = await browser.context.newPage();
		await page.setExtraHTTPHeaders({ authorization: `Bearer ${TEST_TOKEN}` });
		await page.goto(`${server.url}/maintenance`);
		expect(await page.getByTestId('dry-run').isDisabled()).toBe(true);
		expect(await page.getByTestId('run').isDisabled()).toBe(true);
		expect(await page.getByTestId('cannot-run').textContent()).toContain(
			'read-only API token cannot run the cleanup'
		);
		await page.close();
	});

	it('reads on a phone without sideways page scrolling', async () => {
		const page = await browser.context.newPage();
		await page.setViewportSize({ width: 390, height: 844 });
		await page.setExtraHTTPHeaders({ authorization: `Bearer ${TEST_TOKEN}` });
		await page.goto(`${server.url}/maintenance`);
		await page.getByTestId('jobs').waitFor();
		await page.screenshot({ path: '/tmp/vmw-maint-phone.png', fullPage: true });
		expect(
			await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
		).toBeLessThanOrEqual(0);
		await page.close();
	});
});

describe('/maintenance when nothing can be read', () => {
	let server: RunningServer;
	let browser: Awaited<ReturnType<typeof launchBrowser>>;
	let dir: string;
	beforeAll(async () => {
		dir = mkdtempSync(path.join(tmpdir(), 'vmw-maint-e2e-empty-'));
		mkdirSync(path.join(dir, 'log'));
		mkdirSync(path.join(dir, 'spool'));
		writeFileSync(path.join(dir, 'secret'), '0 1 * * * /bin/true\n');
		// A crontab that is a symlink out of its directory: refused by safe-path, "not readable".
		symlinkSync('../secret', path.join(dir, 'spool', 'root'));
		server = await startServer({
			VMW_LOG_DIR: path.join(dir, 'log'),
			VMW_SCRIPTS_DIR: path.join(dir, 'no-scripts'),
			VMW_CRONTABS: path.join(dir, 'spool', 'root')
		});
		browser = await launchBrowser();
	});
	afterAll(async () => {
		await browser?.close();
		await server?.stop();
		if (dir) rmSync(dir, { recursive: true, force: true });
	});

	it('says why: no runs yet, history file not found, script not found, crontab not readable', async () => {
		const page = await browser.context.newPage();
		await page.setExtraHTTPHeaders({ authorization: `Bearer ${TEST_TOKEN}` });
		await page.goto(`${server.url}/maintenance`);
		expect(await page.getByTestId('last-cleanup').textContent()).toContain(
			`history file not found at ${path.join(dir, 'log', 'vm-cleanup.jsonl')}`
		);
		expect(await page.getByTestId('history-missing').textContent()).toContain(
			path.join(dir, 'log', 'vmwarden-cron.jsonl')
		);
		expect(await page.getByTestId('script-missing').textContent()).toBe(
			`Script not found at ${path.join(dir, 'no-scripts', 'vm-cleanup.sh')}.`
		);
		expect(await page.getByTestId('crontab-unreadable').textContent()).toMatch(
			/Crontab not readable: .*spool\/root.*outside/
		);
		expect(await page.getByTestId('cleanup-chart').textContent()).toContain('No cleanup runs yet');
		await page.close();
	});
});
