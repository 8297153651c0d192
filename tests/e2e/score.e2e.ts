// The overview's score card in Debian's Chromium against the built server: one unhealthy
// container on the rig's dockerd (scoped by label), the fake Ollama, a cleanup 12 days ago in a
// temp log dir. Each of the six tiles is clicked and lands on its detail page with the filter
// applied; the top actions name the container and the cleanup; the card fits a 390 px phone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import type { Page } from 'playwright-core';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, TEST_PASSWORD, TEST_TOKEN, type RunningServer } from '../helpers/server';
import { launchBrowser, openLoggedIn } from '../helpers/browser';
import { requireDocker, rigEnv } from '../helpers/rig';
import {
	createTestContainer,
	newRunId,
	removeRun,
	TEST_LABEL,
	waitFor
} from '../helpers/containers';
import { startFakeOllama, type FakeOllama } from '../helpers/fake-ollama';

const env = rigEnv();
const run = newRunId('score-e2e');
const DAY_MS = 86_400_000;
let docker: Docker;
let dir: string;
let fake: FakeOllama;
let server: RunningServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;

const login = (page: Page, to: string) => openLoggedIn(page, server.url, to, TEST_PASSWORD);

const tile = (page: Page, id: string) =>
	page.locator(`[data-testid="score-tile"][data-dimension="${id}"]`);

beforeAll(async () => {
	docker = await requireDocker(env);
	await createTestContainer(docker, env.testImage, run, {
		name: `${run}-sick`,
		health: { cmd: 'echo failing; exit 1' }
	});
	await waitFor(
		'the container to turn unhealthy',
		async () =>
			(await docker.getContainer(`${run}-sick`).inspect()).State.Health?.Status === 'unhealthy'
	);
	dir = await mkdtemp(path.join(tmpdir(), 'vmw-score-e2e-'));
	await mkdir(path.join(dir, 'log'));
	await writeFile(path.join(dir, 'crontab'), '');
	// one real cleanup 12.5 days ago that freed 2 GB: 7–30 days → 8 of 15
	const ts = new Date(Date.now() - 12.5 * DAY_MS).toISOString();
	await writeFile(
		path.join(dir, 'log/vm-cleanup.jsonl'),
		JSON.stringify({
			event: 'start',
			runId: 'r1',
			ts,
			mode: 'standard',
			dryRun: false,
			pid: 42,
			hostId: 'local'
		}) +
			'\n' +
			JSON.stringify({
				runId: 'r1',
				hostId: 'local',
				ts,
				mode: 'standard',
				dryRun: false,
				diskBefore: null,
				diskAfter: null,
				freedBytes: 2e9,
				durationMs: 900,
				status: 'ok',
				steps: []
			}) +
			'\n'
	);
	fake = await startFakeOllama();
	server = await startServer({
		VMW_DOCKER_HOST: env.dockerHost,
		VMW_CONTAINER_LABELS: `${TEST_LABEL}=${run}`,
		VMW_CONTAINER_SAMPLE_INTERVAL_MS: '500',
		VMW_LOG_DIR: path.join(dir, 'log'),
		VMW_CRONTABS: path.join(dir, 'crontab'),
		VMW_OLLAMA_URL: fake.url
	});
	browser = await launchBrowser({ width: 390, height: 844 });
}, 120_000);

afterAll(async () => {
	await browser?.close();
	await server?.stop();
	await fake?.close();
	if (docker) await removeRun(docker, run);
	if (dir) await rm(dir, { recursive: true, force: true });
});

describe('score card on / (phone, 390 px)', () => {
	it('shows the gauge, six tiles with points and input, and the top actions; fits the screen', async () => {
		const page = await browser.context.newPage();
		await login(page, '/');
		await page.getByTestId('score-card').waitFor();
		// the services tile follows Docker live (the first score may predate the first Docker refresh)
		await expect
			.poll(() => tile(page, 'services').textContent(), { timeout: 30_000 })
			.toContain('1 unhealthy container → 15/20');
		expect(
			await page
				.getByTestId('score-tile')
				.evaluateAll((els) => els.map((e) => e.getAttribute('data-dimension')))
		).toEqual(['cpu', 'memory', 'disk', 'services', 'maintenance', 'llm']);
		expect(await tile(page, 'maintenance').textContent()).toContain(
			'last cleanup 12 days ago → 8/15'
		);
		expect(await tile(page, 'cpu').textContent()).toMatch(/steal \d+\.\d % → (20|15|10|5)\/20/);
		for (const id of ['cpu', 'memory', 'disk', 'services', 'maintenance', 'llm'])
			expect(await tile(page, id).getAttribute('data-state')).toBe('known');
		const total = Number(await page.getByTestId('score-gauge').getAttribute('data-total'));
		expect(total).toBeGreaterThanOrEqual(0);
		expect(total).toBeLessThanOrEqual(100);
		const actions = await page.getByTestId('top-action').allTextContents();
		expect(actions.some((a) => a.startsWith('Restart 1 unhealthy container'))).toBe(true);
		expect(actions.some((a) => a.startsWith('Last cleanup 12 days ago'))).toBe(true);
		// nothing wider than the phone
		expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
			390
		);
		await page.close();
	}, 60_000);

	it.each([
		['cpu', /\/trends\?metric=steal$/, 'trend-steal'],
		['memory', /\/vm\?focus=memory$/, 'card-memory'],
		['disk', /\/trends\?metric=disk$/, 'trend-disk'],
		['maintenance', /\/maintenance\?focus=cleanup$/, 'last-cleanup'],
		['llm', /\/models\?focus=memory$/, 'ram-section']
	])(
		'the %s tile lands on its detail with that part outlined',
		async (id, url, target) => {
			const page = await browser.context.newPage();
			await login(page, '/');
			await tile(page, id).click();
			await page.waitForURL(url);
			await expect
				.poll(() => page.locator(`[data-testid="${target}"]`).getAttribute('data-focused'))
				.toBe('true');
			await page.close();
		},
		60_000
	);

	it('the services tile lands on /containers with the Unhealthy filter on', async () => {
		const page = await browser.context.newPage();
		await login(page, '/');
		await expect
			.poll(() => tile(page, 'services').getAttribute('data-state'), { timeout: 30_000 })
			.toBe('known');
		await tile(page, 'services').click();
		await page.waitForURL(/\/containers\?filter=unhealthy$/);
		expect(await page.getByTestId('chip-unhealthy').getAttribute('aria-pressed')).toBe('true');
		await expect
			.poll(() =>
				page
					.getByTestId('container-row')
					.evaluateAll((els) =>
						els.map((e) => `${e.getAttribute('data-name')}:${e.getAttribute('data-condition')}`)
					)
			)
			.toEqual([`${run}-sick:unhealthy`]);
		await page.close();
	}, 60_000);

	it('GET /api/vm/score answers the same card as JSON; /metrics exports vmwarden_score', async () => {
		const headers = { authorization: `Bearer ${TEST_TOKEN}` };
		const res = await fetch(`${server.url}/api/vm/score`, { headers });
		expect(res.status).toBe(200);
		const body = (await res.json()) as {
			total: number;
			dimensions: { id: string; points: number }[];
			actions: { text: string }[];
		};
		expect(body.dimensions.map((d) => d.id)).toEqual([
			'cpu',
			'memory',
			'disk',
			'services',
			'maintenance',
			'llm'
		]);
		expect(body.dimensions.find((d) => d.id === 'services')!.points).toBe(15);
		expect(body.actions.map((a) => a.text)).toContain('Restart 1 unhealthy container');
		const metrics = await (await fetch(`${server.url}/metrics`, { headers })).text();
		expect(metrics).toMatch(/^vmwarden_score\{host_id="local"\} \d+$/m);
		expect(metrics).toContain('vmwarden_score_dimension{dimension="services",host_id="local"} 15');
		expect((await fetch(`${server.url}/api/vm/score`)).status).toBe(401);
	});
});
