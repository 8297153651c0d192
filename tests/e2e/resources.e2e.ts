// /resources in Debian's Chromium against the built server and the rig's dockerd: the advice
// table with its flags, Ollama never limited, the override download (YAML naming every
// service), and the page on a 390 px phone without sideways scrolling.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import type { Page } from 'playwright-core';
import { readFile } from 'node:fs/promises';
import { parseAllDocuments, type Document } from 'yaml';
import { startServer, TEST_PASSWORD, TEST_TOKEN, type RunningServer } from '../helpers/server';
import { launchBrowser, openLoggedIn } from '../helpers/browser';
import { requireDocker, rigEnv } from '../helpers/rig';
import { createTestContainer, newRunId, removeRun, TEST_LABEL } from '../helpers/containers';

const env = rigEnv();
const run = newRunId('rese2e');
const n = (s: string) => `${run}-${s}`;
const MiB = 1024 * 1024;
let docker: Docker;
let server: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
const compose = (service: string) => ({
	'com.docker.compose.project': run,
	'com.docker.compose.service': service
});

const login = (page: Page, to: string) => openLoggedIn(page, server.url, to, TEST_PASSWORD);

beforeAll(async () => {
	docker = await requireDocker(env);
	await Promise.all([
		createTestContainer(docker, env.testImage, run, { name: n('web'), labels: compose('web') }),
		createTestContainer(docker, env.testImage, run, {
			name: n('ollama'),
			labels: compose('ollama')
		}),
		createTestContainer(docker, env.testImage, run, {
			name: n('cache'),
			labels: { ...compose('cache'), 'vmwarden.category': 'cache' },
			memoryBytes: 64 * MiB
		})
	]);
	server = await startServer({
		VMW_DOCKER_HOST: env.dockerHost,
		VMW_CONTAINER_LABELS: `${TEST_LABEL}=${run}`,
		VMW_CONTAINER_SAMPLE_INTERVAL_MS: '500'
	});
	browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
	await browser?.close();
	await server?.stop();
	if (docker) await removeRun(docker, run);
});

describe('/resources in a browser (rig dockerd)', () => {
	it('advice table with flags; Ollama never limited; the override downloads and names every service', async () => {
		const page = await browser.context.newPage();
		await login(page, '/resources');
		const rows = page.getByTestId('advice-table').locator('tbody tr');
		await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(3);
		// the nav links here
		expect(await page.getByRole('link', { name: 'Resources' }).getAttribute('aria-current')).toBe(
			'page'
		);
		const web = rows.filter({ hasText: 'web' });
		expect(await web.getAttribute('data-flags')).toBe('no-limit');
		expect(await web.textContent()).toMatch(/Collect 24 h first/);
		const ollama = rows.filter({ hasText: 'ollama' });
		expect(await ollama.textContent()).toMatch(/Never set a limit on Ollama/);
		expect(await ollama.getAttribute('data-flags')).toBe('');
		expect(await rows.filter({ hasText: 'cache' }).getAttribute('data-flags')).toBe('');

		const [download] = await Promise.all([
			page.waitForEvent('download'),
			page.getByRole('link', { name: run }).click()
		]);
		expect(download.suggestedFilename()).toBe(`docker-compose.override.${run}.yml`);
		const text = await readFile((await download.path())!, 'utf8');
		const docs = parseAllDocuments(text) as Document.Parsed[];
		expect(docs.map((d) => d.errors)).toEqual([[]]);
		expect(Object.keys((docs[0].toJS() as { services: object }).services).sort()).toEqual([
			'cache',
			'ollama',
			'web'
		]);
		await page.close();
	});

	it('the download needs a login; a bad project name is refused', async () => {
		expect((await fetch(`${server.url}/api/vm/resources/override.yml`)).status).toBe(401);
		const bad = await fetch(`${server.url}/api/vm/resources/override.yml?stack=..%2Fetc`, {
			headers: { authorization: `Bearer ${TEST_TOKEN}` }
		});
		expect(bad.status).toBe(400);
		const ok = await fetch(`${server.url}/api/vm/resources/override.yml?stack=${run}`, {
			headers: { authorization: `Bearer ${TEST_TOKEN}` }
		});
		expect(ok.status).toBe(200);
		expect(ok.headers.get('content-type')).toMatch(/application\/yaml/);
	});

	it('on a phone: no sideways scrolling of the page', async () => {
		const page = await browser.context.newPage();
		await page.setViewportSize({ width: 390, height: 844 });
		await login(page, '/resources');
		await expect
			.poll(() => page.getByTestId('advice-table').locator('tbody tr').count(), { timeout: 15_000 })
			.toBe(3);
		expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
			390
		);
		await page.close();
	});
});
