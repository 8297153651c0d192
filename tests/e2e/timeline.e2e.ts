// /timeline and the /vm "What grew" panel in Debian's Chromium against the built server. The
// server's SQLite file is seeded beside it (WAL: the server keeps running): a night with a
// memory WARN, an OOM kill, a deploy and a model load, and the last half hour of memory history
// in which "ref-hog" grows 300 MiB over two minutes while the others stay flat.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { startServer, TEST_PASSWORD, type RunningServer } from '../helpers/server';
import { launchBrowser, openLoggedIn } from '../helpers/browser';
import { advanceStat, fakeProc, type FakeProc } from '../helpers/proc';
import { openDb, type Db } from '../../src/lib/server/db';
import {
	actions,
	containerHistory,
	deploys,
	hostHistory,
	ollamaUsage,
	scoreHistory
} from '../../src/lib/server/db/schema';
import { backfillHealthChanges } from '../../src/lib/server/timeline/health-changes';

const MIN = 60_000;
const MiB = 1024 ** 2;
// tests/fixtures/proc/meminfo.vm-swap: what the sampler reads now
const MEM_AVAILABLE = 10_695_112 * 1024;
const SWAP_USED = (4_194_300 - 2_726_300) * 1024;

describe('/timeline and memory attribution in a browser', () => {
	let server: RunningServer;
	let browser: Awaited<ReturnType<typeof launchBrowser>>;
	let proc: FakeProc;
	let stopStat: () => void;
	let db: Db;
	const minute = Math.floor(Date.now() / MIN) * MIN;

	beforeAll(async () => {
		proc = fakeProc({ meminfo: 'meminfo.vm-swap', loadavg: 'loadavg.vm' });
		stopStat = advanceStat(proc, 100);
		// no stored score of its own during the test: the seeded ones are the only health changes
		server = await startServer({
			VMW_PROC_ROOT: proc.dir,
			VMW_HOST_ID: 'vm-e2e',
			VMW_SCORE_INTERVAL_S: '86400'
		});
		db = await openDb({
			url: `file:${path.join(server.dataDir, 'vmwarden.db')}`,
			migrationsDir: 'drizzle'
		});
		const hostId = 'vm-e2e';
		const t = (m: number) => minute + m * MIN;
		// the score: memory WARN 40 minutes ago (20 -> 15), OK again 20 minutes ago
		const score = (m: number, memory: number) => ({
			hostId,
			ts: t(m),
			total: 95,
			cpu: 20,
			memory,
			disk: 15,
			services: 20,
			maintenance: 15,
			llm: 10
		});
		await db
			.insert(scoreHistory)
			.values([score(-50, 20), score(-45, 20), score(-40, 15), score(-35, 15), score(-20, 20)]);
		// and their health changes, as the score store records them with each score (decision 0029)
		await backfillHealthChanges(db, hostId);
		await db.insert(actions).values({
			hostId,
			ts: t(-30),
			actor: 'watchdog',
			action: 'watchdog.oom',
			target: 'ref-worker-1',
			input: '{"key":"ref/worker"}',
			outcome: 'ok',
			result: 'OOM kill seen',
			endedAt: t(-30)
		});
		await db.insert(deploys).values({
			hostId,
			ts: t(-25),
			key: 'ref/api',
			container: 'ref-api-1',
			image: 'ref/api:2',
			imageId: 'sha256:2222222222222222',
			previousImageId: 'sha256:1111111111111111'
		});
		await db.insert(ollamaUsage).values({
			hostId,
			model: 'phi3:mini',
			startedAt: t(-15),
			lastSeenAt: t(-14),
			endedAt: t(-13),
			sizeBytes: 2_600_000_000
		});
		// memory: calm (300 MiB more available) until 3 minutes ago, then ref-hog takes 300 MiB over two minutes
		const hosts = [];
		const containers = [];
		for (let m = -30; m <= -1; m++) {
			const taken = m <= -3 ? 0 : m === -2 ? 150 * MiB : 300 * MiB;
			hosts.push({
				hostId,
				ts: t(m),
				stealPct: 0,
				busyPct: 5,
				load1: 0.3,
				memAvailableBytes: MEM_AVAILABLE + 300 * MiB - taken,
				swapUsedBytes: SWAP_USED,
				swapCachedBytes: 0,
				disks: []
			});
			const row = (key: string, name: string, mem: number) => ({
				hostId,
				key,
				ts: t(m),
				name,
				cpuPct: 1,
				memUsedBytes: mem,
				memLimitBytes: null,
				readBps: 0,
				writeBps: 0
			});
			containers.push(
				row('ref/hog', 'ref-hog-1', 50 * MiB + taken),
				row('ref/api', 'ref-api-1', 400 * MiB),
				row('ref/db', 'ref-db-1', 700 * MiB)
			);
		}
		await db.insert(hostHistory).values(hosts).onConflictDoNothing();
		await db.insert(containerHistory).values(containers);
		// and an OOM loop six days ago: 600 kills, one a minute for 10 hours, more than the list's
		// pages (and the 500 entries the strip used to draw) hold
		const loop = [];
		for (let m = 0; m < 600; m++)
			loop.push({
				hostId,
				ts: t(-6 * 1440 + m),
				actor: 'watchdog',
				action: 'watchdog.oom',
				target: 'ref-scheduler-1',
				input: '{"key":"ref/scheduler"}',
				outcome: 'ok' as const,
				result: 'OOM kill seen',
				endedAt: t(-6 * 1440 + m)
			});
		for (let i = 0; i < loop.length; i += 200)
			await db.insert(actions).values(loop.slice(i, i + 200));
		browser = await launchBrowser();
	}, 120_000);
	afterAll(async () => {
		db?.$client.close();
		await browser?.close();
		await server?.stop();
		stopStat?.();
		proc?.cleanup();
	});

	it(
		'lists what changed, filters by kind, links each entry, and a drag on the strip zooms',
		{ timeout: 90_000 },
		async () => {
			const page = await browser.context.newPage();
			await openLoggedIn(page, server.url, '/timeline', TEST_PASSWORD);
			await page.goto(`${server.url}/timeline?range=1h`);
			const titles = () =>
				page.getByTestId('timeline-entry').locator('td:nth-child(4)').allTextContents();
			expect(await titles()).toEqual([
				'phi3:mini unloaded (2.6 GB)',
				'phi3:mini loaded (2.6 GB)',
				'Memory pressure WARN → OK',
				'ref-api-1 deployed ref/api:2',
				'OOM kill: ref-worker-1',
				'Memory pressure OK → WARN'
			]);
			const kinds = await page
				.getByTestId('timeline-entry')
				.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-kind')));
			expect(kinds).toEqual(['model', 'model', 'health', 'deploy', 'oom', 'health']);
			expect(await page.getByTestId('timeline-strip').locator('circle').count()).toBe(6);

			// only OOM kills: the checkbox and the form
			await page.locator('input[name="kind"][value="oom"]').check();
			await page.getByRole('button', { name: 'Filter' }).click();
			await page.waitForURL(/kind=oom/);
			expect(await titles()).toEqual(['OOM kill: ref-worker-1']);
			await page.getByRole('link', { name: 'OOM kill: ref-worker-1' }).click();
			await page.waitForURL(/\/resources/);

			// a drag from 75 % to 95 % of the strip (the plot starts at 70 of 800 units: about 16 to 3 minutes ago) sets a from–to range
			await page.goto(`${server.url}/timeline?range=1h`);
			const box = (await page.getByTestId('timeline-strip').boundingBox())!;
			await page.mouse.move(box.x + box.width * 0.75, box.y + 10);
			await page.mouse.down();
			await page.mouse.move(box.x + box.width * 0.95, box.y + 20, { steps: 5 });
			await page.mouse.up();
			await page.waitForURL(/from=\d+&to=\d+/);
			// the model load and unload, not the memory recovery 20 minutes ago
			expect(await titles()).toEqual(['phi3:mini unloaded (2.6 GB)', 'phi3:mini loaded (2.6 GB)']);
		}
	);

	it(
		'the 7 d strip counts every entry of the week in its slices',
		{ timeout: 60_000 },
		async () => {
			const page = await browser.context.newPage();
			await openLoggedIn(page, server.url, '/timeline?range=7d', TEST_PASSWORD);
			// the OOM row (4th): 600 kills over 10 hours in slices of 100.8 minutes, and the one 30 minutes ago
			const oom = await page
				.getByTestId('timeline-strip')
				.locator('circle')
				.evaluateAll((cs) =>
					cs
						.filter((c) => c.getAttribute('cy') === String(3 * 16 + 8))
						.map((c) => Number(c.getAttribute('data-count')))
				);
			expect(oom.reduce((a, b) => a + b, 0)).toBe(601);
			expect(oom.length).toBeGreaterThanOrEqual(7);
			expect(oom.at(-1)).toBe(1);
		}
	);

	it('/vm names the container that grew first', { timeout: 60_000 }, async () => {
		const page = await browser.context.newPage();
		await openLoggedIn(page, server.url, '/vm?focus=memory', TEST_PASSWORD);
		const line = await page.getByTestId('memory-trace-line').textContent();
		expect(line).toMatch(/^MemAvailable −300 MiB since \d\d:\d\d: ref-hog-1 \+300 MiB/);
		const first = page.getByTestId('memory-grower').first();
		expect(await first.locator('a').textContent()).toBe('ref-hog-1');
	});
});
