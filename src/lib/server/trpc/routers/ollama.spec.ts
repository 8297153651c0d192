// ollama router through createCaller: a fresh migrated SQLite file, a fixture /proc with an
// Ollama runner process, an empty dev root, and the fake Ollama HTTP server.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Services } from '../../services';
import type { Principal } from '../../auth/auth';
import { listActions } from '../../audit/actions';
import { ollamaUsage } from '../../db/schema';
import { startFakeOllama, type FakeOllama } from '../../../../../tests/helpers/fake-ollama';
import { writeProcess } from '../../../../../tests/helpers/fake-proc';
import { fakeProc, type FakeProc } from '../../../../../tests/helpers/proc';
import { createTestServices, type TestServices } from '../../../../../tests/helpers/services';
import { freePort } from '../../../../../tests/helpers/server';

const viewer: Principal = { role: 'viewer', via: 'token' };
const operator: Principal = { role: 'operator', via: 'session' };
const RUNNER_PID = 2291877;

// meminfo.vm-swap: MemTotal 16 388 100 kB, MemAvailable 10 695 112 kB
const MEM_TOTAL = 16388100 * 1024;
const MEM_AVAILABLE = 10695112 * 1024;

describe('ollama router', () => {
	let dir: string;
	let proc: FakeProc;
	let t: TestServices | undefined;
	let fake: FakeOllama;
	let services: Services;
	const caller = (principal: Principal | null) => t!.callerAs(principal);

	const lastGenerate = () => fake.requests.filter((r) => r.path === '/api/generate').at(-1);

	async function start(
		env: Record<string, string> = {},
		fakeOptions: Parameters<typeof startFakeOllama>[0] = {}
	) {
		fake = await startFakeOllama(fakeOptions);
		t = await createTestServices({
			dir,
			env: {
				VMW_PROC_ROOT: proc.dir,
				VMW_DEV_ROOT: path.join(dir, 'dev'),
				VMW_HOST_ID: 'vm-test',
				VMW_OLLAMA_URL: fake.url,
				VMW_OLLAMA_TIMEOUT_MS: '1000',
				...env
			}
		});
		services = t.services;
		await services.sampler.sampleOnce();
	}

	beforeEach(async () => {
		dir = await mkdtemp(path.join(tmpdir(), 'vmw-ollama-router-'));
		proc = fakeProc({
			stat: 'stat.vm-steal.t0',
			meminfo: 'meminfo.vm-swap',
			loadavg: 'loadavg.vm'
		});
		await mkdir(path.join(dir, 'dev'));
		await writeProcess(proc.dir, RUNNER_PID, { utime: 5000, stime: 700 });
	});
	afterEach(async () => {
		await t?.stop();
		t = undefined;
		await fake?.close();
		await rm(dir, { recursive: true, force: true });
		proc.cleanup();
	});

	it('refuses callers without credentials, viewers on mutations, and other hosts', async () => {
		await start();
		await expect(caller(null).ollama.models()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
		await expect(
			caller(viewer).ollama.unload({ model: 'qwen2.5-coder:1.5b' })
		).rejects.toMatchObject({ code: 'FORBIDDEN' });
		await expect(caller(viewer).ollama.models({ hostId: 'elsewhere' })).rejects.toMatchObject({
			code: 'NOT_FOUND'
		});
		expect(fake.requests.filter((r) => r.path === '/api/generate')).toEqual([]);
	});

	it('lists the models with details and last use (loaded now, or from the usage record)', async () => {
		await start();
		const r = await caller(viewer).ollama.models({ hostId: 'vm-test' });
		if (r.state !== 'ok') throw new Error(r.reason);
		expect(
			r.data.map((m) => [m.name, m.sizeBytes, m.family, m.parameterSize, m.quantization, m.loaded])
		).toEqual([
			['qwen2.5-coder:1.5b', 986061892, 'qwen2', '1.5B', 'Q4_K_M', true],
			['llama3.2-vision:11b', 7816589186, 'mllama', '10.7B', 'Q4_K_M', false],
			['llama3.2:3b', 2019393189, 'llama', '3.2B', 'Q4_K_M', false],
			['nomic-embed-text:latest', 274302450, 'nomic-bert', '137M', 'F16', false]
		]);
		// loaded now: last used is the time of this /api/ps answer (a few ms from the list's)
		expect(Math.abs(r.data[0].lastUsedAt! - r.at)).toBeLessThan(1000);
		expect(r.data[2].lastUsedAt).toBeNull();
		expect(r.data[1].modifiedAt).toBe('2026-04-02T18:01:10.908Z');
	});

	it('shows a loaded model with its VRAM share, context, expiry and the runner CPU %', async () => {
		await start();
		const beforeFirst = Date.now();
		await services.ollama.watcher.pollNow(); // first runner reading: 5700 ticks
		const afterFirst = Date.now();
		await writeProcess(proc.dir, RUNNER_PID, { utime: 5110, stime: 700 }); // +110 ticks
		await new Promise((r) => setTimeout(r, 1100)); // the tracker wants ≥ 1 s between readings
		const beforeSecond = Date.now();
		const r = await caller(viewer).ollama.loaded();
		const afterSecond = Date.now();
		if (r.state !== 'ok') throw new Error(r.reason);
		expect(r.data.models).toHaveLength(1);
		const m = r.data.models[0];
		expect(m).toMatchObject({
			name: 'qwen2.5-coder:1.5b',
			sizeBytes: 1181116006,
			sizeVramBytes: 0,
			vramPct: 0,
			contextLength: 4096,
			expiresAt: '2026-05-27T14:05:31.118Z'
		});
		// the fixture's expiry is in the past: 0, not negative
		expect(m.expiresInMs).toBe(0);
		// 110 ticks at USER_HZ 100 = 1.1 s of CPU over the time between the two readings, which lies
		// between (beforeSecond − afterFirst) and (afterSecond − beforeFirst); ±0.1 for rounding
		expect(m.cpuPct).toBeGreaterThanOrEqual(110_000 / (afterSecond - beforeFirst) - 0.1);
		expect(m.cpuPct).toBeLessThanOrEqual(110_000 / (beforeSecond - afterFirst) + 0.1);
		expect(r.data.runners).toEqual([{ pid: RUNNER_PID, cpuPct: m.cpuPct }]);
	});

	it('pictures RAM as system | loaded models | free from the latest sample', async () => {
		await start();
		const { picture } = await caller(viewer).ollama.memory();
		// used = total − available; the model's 1 181 116 006 bytes (size_vram 0) are part of it
		expect(picture).toMatchObject({
			totalBytes: MEM_TOTAL,
			freeBytes: MEM_AVAILABLE,
			modelsBytes: 1181116006,
			systemBytes: MEM_TOTAL - MEM_AVAILABLE - 1181116006,
			models: [{ name: 'qwen2.5-coder:1.5b', ramBytes: 1181116006 }],
			ollama: 'ok'
		});
	});

	it('estimates the impact of a load before it happens', async () => {
		await start();
		// 10 951 794 688 available − (7 816 589 186 + 4096 × 160 KiB) = 2 464 116 862 → ok, ~2.5 GB
		expect(await caller(viewer).ollama.impact({ model: 'llama3.2-vision:11b' })).toMatchObject({
			level: 'ok',
			freeAfterBytes: MEM_AVAILABLE - 8487677826,
			message: 'Loading llama3.2-vision:11b (7.8 GB) will leave ~2.5 GB free'
		});
		await expect(caller(viewer).ollama.impact({ model: 'llama9:70b' })).rejects.toMatchObject({
			code: 'NOT_FOUND'
		});
	});

	it('refuses a crit load without force (recorded as denied), loads it with force', async () => {
		// MemAvailable 9 000 000 kB = 9 216 000 000 B; minus 8 487 677 826 = 728 322 174 < 1 GiB → crit
		proc.write(
			'meminfo',
			`MemTotal:       16388100 kB\nMemFree:          812340 kB\nMemAvailable:    9000000 kB\nSwapCached:            0 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n`
		);
		await start();
		const err = await caller(operator)
			.ollama.load({ model: 'llama3.2-vision:11b' })
			.catch((e: unknown) => e);
		expect(err).toMatchObject({
			code: 'PRECONDITION_FAILED',
			message:
				'Loading llama3.2-vision:11b (7.8 GB) will leave ~0.7 GB free — the VM will swap heavily. Refused: confirm with force to load anyway.'
		});
		expect(fake.requests.filter((r) => r.path === '/api/generate')).toEqual([]);

		const r = await caller(operator).ollama.load({
			model: 'llama3.2-vision:11b',
			keepAlive: '5m',
			force: true
		});
		expect(r).toMatchObject({
			model: 'llama3.2-vision:11b',
			doneReason: 'load',
			impact: { level: 'crit' }
		});
		expect(lastGenerate()?.body).toMatchObject({ model: 'llama3.2-vision:11b', keep_alive: '5m' });

		const actions = await listActions(services.db, { action: 'ollama.load' });
		expect(actions.map((a) => [a.outcome, a.actor, a.address, a.target])).toEqual([
			['ok', 'session:operator', '127.0.0.9', 'llama3.2-vision:11b'],
			['denied', 'session:operator', '127.0.0.9', 'llama3.2-vision:11b']
		]);
		expect(actions[0].result).toBe(
			'done_reason load; Loading llama3.2-vision:11b (7.8 GB) will leave ~0.7 GB free — the VM will swap heavily'
		);
		// the usage record follows the load at once (pollNow), without waiting 15 s
		const rows = await services.db.select().from(ollamaUsage);
		expect(rows.map((x) => [x.model, x.endedAt])).toEqual(
			expect.arrayContaining([['llama3.2-vision:11b', null]])
		);
	});

	it('unloads with keep_alive 0 and the usage record closes the period', async () => {
		await start();
		await services.ollama.watcher.pollNow();
		const r = await caller(operator).ollama.unload({ model: 'qwen2.5-coder:1.5b' });
		expect(r).toEqual({ model: 'qwen2.5-coder:1.5b', doneReason: 'unload', wasLoaded: true });
		expect(lastGenerate()).toMatchObject({
			path: '/api/generate',
			body: { model: 'qwen2.5-coder:1.5b', keep_alive: 0 }
		});
		const [row] = await services.db.select().from(ollamaUsage);
		expect(row.endedAt).not.toBeNull();
		expect((await listActions(services.db, { action: 'ollama.unload' }))[0]).toMatchObject({
			outcome: 'ok',
			result: 'done_reason unload'
		});
	});

	it('runs concurrent loads one after the other, each judged after the previous', async () => {
		await start({}, { delayMs: 300 });
		const [a, b] = await Promise.all([
			caller(operator).ollama.load({ model: 'llama3.2:3b' }),
			caller(operator).ollama.load({ model: 'nomic-embed-text:latest' })
		]);
		expect([a.doneReason, b.doneReason]).toEqual(['load', 'load']);
		const gens = fake.requests.filter((r) => r.path === '/api/generate');
		expect(gens.map((g) => (g.body as { model: string }).model)).toEqual([
			'llama3.2:3b',
			'nomic-embed-text:latest'
		]);
		// the second load starts only after the first one's answer (300 ms) and its /api/ps poll
		expect(gens[1].at - gens[0].at).toBeGreaterThanOrEqual(600);
	});

	it.each([
		['path traversal', '../../etc/passwd'],
		['a space and shell', 'llama3.2; rm -rf /'],
		['a dot part', 'library/..:x'],
		['empty', ''],
		['huge', 'a'.repeat(10_000)],
		['a NUL', 'qwen\0x']
	])('refuses a bad model name (%s) before anything reaches Ollama', async (_, model) => {
		await start();
		await expect(caller(operator).ollama.load({ model })).rejects.toMatchObject({
			code: 'BAD_REQUEST'
		});
		await expect(caller(operator).ollama.unload({ model })).rejects.toMatchObject({
			code: 'BAD_REQUEST'
		});
		expect(fake.requests.filter((r) => r.path === '/api/generate')).toEqual([]);
	});

	it('refuses unknown fields and a bad keepAlive', async () => {
		await start();
		await expect(
			caller(operator).ollama.unload({ model: 'llama3.2:3b', extra: 1 } as never)
		).rejects.toMatchObject({ code: 'BAD_REQUEST' });
		for (const keepAlive of ['forever', '0', '25h', '10d', -2])
			await expect(
				caller(operator).ollama.load({ model: 'llama3.2:3b', keepAlive } as never)
			).rejects.toMatchObject({ code: 'BAD_REQUEST' });
	});

	it('refuses a model that is not on disk with NOT_FOUND (recorded as denied)', async () => {
		await start();
		await expect(caller(operator).ollama.load({ model: 'llama9:70b' })).rejects.toMatchObject({
			code: 'NOT_FOUND',
			message: 'model "llama9:70b" is not on disk (pull it with ollama pull first)'
		});
		expect((await listActions(services.db))[0]).toMatchObject({
			action: 'ollama.load',
			outcome: 'denied'
		});
	});

	it('answers unavailable with the last good list when Ollama goes down, and mutations fail with BAD_GATEWAY', async () => {
		await start();
		const good = await caller(viewer).ollama.models();
		await fake.close();
		const r = await caller(viewer).ollama.models();
		expect(r.state).toBe('unavailable');
		if (r.state !== 'unavailable') return;
		expect(r.reason).toMatch(/^Ollama at http:\/\/127\.0\.0\.1:\d+ is unreachable/);
		expect(r.lastGoodAt).toBe(good.at);
		expect(r.lastGood).toHaveLength(4);
		await expect(caller(operator).ollama.unload({ model: 'llama3.2:3b' })).rejects.toMatchObject({
			code: 'BAD_GATEWAY'
		});
		// the page's panel keeps the last known picture: qwen was loaded at the last good answer
		await caller(viewer).ollama.loaded(); // (models() above read /api/ps while up; this records a failed ps too)
		const panel = await caller(viewer).ollama.panel();
		expect(panel.models.state).toBe('unavailable');
		const qwen =
			panel.models.state === 'unavailable'
				? panel.models.lastGood?.find((m) => m.name === 'qwen2.5-coder:1.5b')
				: undefined;
		expect(qwen).toMatchObject({ loaded: true, impact: { alreadyLoaded: true } });
		expect(panel.memory).toMatchObject({ modelsBytes: 0, ollama: 'unavailable' });
		// the app's own health does not depend on Ollama
		await services.ollama.watcher.pollNow();
		const h = services.health();
		expect(h.services.ollama.ok).toBe(false);
		expect(h.ok).toBe(services.health().services.sampler.ok);
	});

	it('answers unavailable within the timeout when Ollama is slower, and a mutation fails with GATEWAY_TIMEOUT', async () => {
		await start({ VMW_OLLAMA_TIMEOUT_MS: '300' }, { delayMs: 2000 });
		const started = Date.now();
		const r = await caller(viewer).ollama.loaded();
		expect(r).toMatchObject({
			state: 'unavailable',
			reason: `Ollama at ${fake.url} did not answer /api/ps within 300 ms`
		});
		expect(Date.now() - started).toBeLessThan(1500);
		await expect(caller(operator).ollama.unload({ model: 'llama3.2:3b' })).rejects.toMatchObject({
			code: 'GATEWAY_TIMEOUT'
		});
	});

	it('says "GPU: none" on a VM without device nodes', async () => {
		await start();
		expect(await caller(viewer).ollama.gpu()).toMatchObject({
			state: 'none',
			message: 'GPU: none — inference will run on CPU'
		});
		const p = await caller(viewer).ollama.panel();
		expect(p.gpu.message).toBe('GPU: none — inference will run on CPU');
		if (p.models.state !== 'ok') throw new Error('models unavailable');
		expect(p.models.data.find((m) => m.name === 'llama3.2-vision:11b')?.impact.level).toBe('ok');
	});

	it('keeps working with nothing listening at the Ollama URL at all', async () => {
		await start({ VMW_OLLAMA_URL: `http://127.0.0.1:${await freePort()}` });
		const p = await caller(viewer).ollama.panel();
		expect(p.models.state).toBe('unavailable');
		expect(p.loaded.state).toBe('unavailable');
		expect(p.memory).toMatchObject({
			freeBytes: MEM_AVAILABLE,
			modelsBytes: 0,
			ollama: 'unavailable'
		});
		expect((await caller(viewer).health.snapshot()).memory).toMatchObject({ ok: true });
	});
});
