// score router through createCaller with the real services: a fixture /proc (two /proc/stat
// reads: 8.25 % steal; MemAvailable 10.2 GiB), the real statfs of /, a cleanup history file in a
// temp log dir, the fake Ollama HTTP server, and a Docker socket that does not exist.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Services } from '../../services';
import type { Principal } from '../../auth/auth';
import { startFakeOllama, type FakeOllama } from '../../../../../tests/helpers/fake-ollama';
import { fakeProc, type FakeProc } from '../../../../../tests/helpers/proc';
import { createTestServices, type TestServices } from '../../../../../tests/helpers/services';
import { scoreDisk } from '../../score/score';

const viewer: Principal = { role: 'viewer', via: 'token' };
const DAY_MS = 86_400_000;

describe('score router', () => {
	let dir: string;
	let proc: FakeProc;
	let t: TestServices;
	let fake: FakeOllama;
	let services: Services;
	const caller = (principal: Principal | null) => t.callerAs(principal);

	beforeEach(async () => {
		dir = await mkdtemp(path.join(tmpdir(), 'vmw-score-router-'));
		proc = fakeProc({
			stat: 'stat.vm-steal.t0',
			meminfo: 'meminfo.vm-swap',
			loadavg: 'loadavg.vm'
		});
		await mkdir(path.join(dir, 'log'));
		await writeFile(path.join(dir, 'crontab'), '');
		// a real cleanup 3 days ago that freed 1.5 MiB
		const ts = new Date(Date.now() - 3 * DAY_MS).toISOString();
		await writeFile(
			path.join(dir, 'log/vm-cleanup.jsonl'),
			JSON.stringify({
				event: 'start',
				runId: 'r1',
				ts,
				mode: 'standard',
				dryRun: false,
				pid: 42,
				hostId: 'vm-test'
			}) +
				'\n' +
				JSON.stringify({
					runId: 'r1',
					hostId: 'vm-test',
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
		fake = await startFakeOllama();
		t = await createTestServices({
			dir,
			env: {
				VMW_PROC_ROOT: proc.dir,
				VMW_DEV_ROOT: path.join(dir, 'dev'),
				VMW_HOST_ID: 'vm-test',
				VMW_LOG_DIR: path.join(dir, 'log'),
				VMW_CRONTABS: path.join(dir, 'crontab'),
				VMW_DOCKER_HOST: `unix://${path.join(dir, 'no-docker.sock')}`,
				VMW_OLLAMA_URL: fake.url,
				VMW_OLLAMA_TIMEOUT_MS: '1000'
			}
		});
		services = t.services;
		await services.sampler.sampleOnce();
		proc.use('stat', 'stat.vm-steal.t1');
		await services.sampler.sampleOnce();
		await services.docker.refresh();
	});
	afterEach(async () => {
		await t?.stop();
		await fake?.close();
		await rm(dir, { recursive: true, force: true });
		proc.cleanup();
	});

	it('refuses callers without credentials and other hosts', async () => {
		await expect(caller(null).score.current()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
		await expect(caller(viewer).score.current({ hostId: 'elsewhere' })).rejects.toMatchObject({
			code: 'NOT_FOUND'
		});
		await expect(caller(viewer).score.history({ range: '1y' } as never)).rejects.toMatchObject({
			code: 'BAD_REQUEST'
		});
	});

	it('scores what the sources say, and leaves Docker (down) out with its reason', async () => {
		const s = await caller(viewer).score.current({ hostId: 'vm-test' });
		// df's formula on the real root filesystem, read independently here
		const st = statfsSync('/');
		const usedPct = (100 * (st.blocks - st.bfree)) / (st.blocks - st.bfree + st.bavail);
		const diskPoints = scoreDisk(usedPct, '/').points;
		const byId = Object.fromEntries(s.dimensions.map((d) => [d.id, d]));
		expect(byId.cpu).toMatchObject({ state: 'known', points: 10, summary: 'steal 8.3 % → 10/20' }); // 33/400 jiffies = 8.25 %
		expect(byId.memory).toMatchObject({ state: 'known', points: 20, input: 10695112 * 1024 });
		expect(byId.disk.state).toBe('known');
		expect(byId.disk.input).toBeCloseTo(usedPct, 0);
		expect(byId.maintenance).toMatchObject({
			state: 'known',
			points: 15,
			inputText: 'last cleanup 3 days ago'
		});
		expect(byId.llm).toMatchObject({ state: 'known', points: 10, input: 10695112 * 1024 });
		expect(byId.services.state).toBe('unknown');
		expect(byId.services.rule).toMatch(/^unknown: Docker unavailable: /);
		expect(s.unknown).toEqual(['services']);
		expect(s.knownMax).toBe(80);
		expect(s.points).toBe(10 + 20 + diskPoints + 15 + 10);
		expect(s.total).toBe(Math.round(((55 + diskPoints) / 80) * 100));
		expect(s.note).toBe(
			'Scaled over 5 of 6 dimensions (80 of 100 points): service health is unknown'
		);
		// qwen2.5-coder is loaded but unloading it changes no tier (memory and LLM are full marks)
		expect(s.actions.filter((a) => a.dimension !== 'disk')).toEqual([]);
	});

	it('Ollama down: LLM readiness is unknown, not 1 point', async () => {
		await fake.close();
		const s = await services.score.refresh();
		const llm = s.dimensions.find((d) => d.id === 'llm')!;
		expect(llm.state).toBe('unknown');
		expect(llm.summary).toMatch(/^unknown: Ollama unavailable: /);
		expect(s.unknown).toEqual(['services', 'llm']);
		expect(s.knownMax).toBe(70);
	});

	it('stores a score per record, serves it as history and on /metrics (unknown dimensions absent)', async () => {
		await services.score.record();
		const s = services.score.latest()!;
		const h = await caller(viewer).score.history();
		expect(h.points).toHaveLength(1);
		expect(h.points[0]).toEqual({
			ts: s.at,
			total: s.total,
			dimensions: {
				cpu: 10,
				memory: 20,
				disk: s.dimensions[2].points,
				services: null,
				maintenance: 15,
				llm: 10
			}
		});
		const text = await services.metrics.metrics();
		expect(text).toContain(`vmwarden_score{host_id="vm-test"} ${s.total}\n`);
		expect(text).toContain('vmwarden_score_dimension{dimension="cpu",host_id="vm-test"} 10\n');
		expect(text).toContain(
			'vmwarden_score_dimension{dimension="maintenance",host_id="vm-test"} 15\n'
		);
		expect(text).not.toContain('dimension="services"');
	});

	it('live yields the score now, then again when it changes', async () => {
		const ac = new AbortController();
		const iterable = await t.callerAs(viewer, { signal: ac.signal }).score.live();
		const it = iterable[Symbol.asyncIterator]();
		const first = await it.next();
		expect((first.value as { unknown: string[] }).unknown).toEqual(['services']);
		await fake.close();
		void services.score.refresh();
		const second = await it.next();
		expect((second.value as { unknown: string[] }).unknown).toEqual(['services', 'llm']);
		ac.abort();
		await it.return?.();
	});
});
