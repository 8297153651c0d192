/**
 * maintenance.run for real: the BUILT server runs scripts/vm-cleanup.sh --dry-run with the
 * direct runner against the test rig's dockerd. As in cleanup-script.test.ts, the script is
 * scoped to this test's label (VMW_CLEANUP_DOCKER_FILTERS) and apt/pnpm/journald point at
 * missing commands, so nothing on the machine or the shared daemon is touched (a dry run
 * frees nothing anyway).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
	copyFileSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	rmSync,
	writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
	createTRPCClient,
	httpBatchLink,
	httpSubscriptionLink,
	splitLink,
	TRPCClientError
} from '@trpc/client';
import { createClient } from '@libsql/client';
import { EventSource } from 'eventsource';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../../src/lib/server/trpc/router';
import type { ProgressEvent } from '../../src/lib/server/maintenance/runner';
import { parseCleanupJsonl } from '../../src/lib/server/maintenance/cleanup-record';
import { startServer, TEST_PASSWORD, TEST_TOKEN, type RunningServer } from '../helpers/server';

const SCRIPTS = fileURLToPath(new URL('../../scripts', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/crontab/root.crontab', import.meta.url));

let server: RunningServer;
let dir: string;
let logDir: string;
let lockFile: string;
let cookie: string;

function client(headers: Record<string, string>) {
	return createTRPCClient<AppRouter>({
		links: [
			splitLink({
				condition: (op) => op.type === 'subscription',
				true: httpSubscriptionLink({
					url: `${server.url}/api/trpc`,
					transformer: superjson,
					EventSource,
					eventSourceOptions: () => ({
						fetch: (input, init) =>
							fetch(input, { ...init, headers: { ...init?.headers, ...headers } })
					})
				}),
				false: httpBatchLink({
					url: `${server.url}/api/trpc`,
					transformer: superjson,
					headers: { ...headers, origin: server.url }
				})
			})
		]
	});
}

const codeOf = (err: unknown) =>
	err instanceof TRPCClientError ? (err.data as { code?: string } | undefined)?.code : String(err);

beforeAll(async () => {
	if (!process.env.DOCKER_HOST)
		throw new Error('DOCKER_HOST is unset: source /tmp/vmwarden-rig/env');
	dir = mkdtempSync(path.join(tmpdir(), 'vmw-maint-run-'));
	logDir = path.join(dir, 'log');
	mkdirSync(logDir);
	mkdirSync(path.join(dir, 'spool'));
	copyFileSync(FIXTURE, path.join(dir, 'spool', 'root'));
	// The host's own files under a rootfs of the test: Debian 12's /etc/crontab, and the
	// roadmap crontab's commented-out /opt/old/backup.sh, which makes that line a disabled job.
	mkdirSync(path.join(dir, 'rootfs/etc'), { recursive: true });
	mkdirSync(path.join(dir, 'rootfs/opt/old'), { recursive: true });
	copyFileSync(
		fileURLToPath(new URL('../fixtures/crontab/debian-12/crontab', import.meta.url)),
		path.join(dir, 'rootfs/etc/crontab')
	);
	writeFileSync(path.join(dir, 'rootfs/opt/old/backup.sh'), '#!/bin/sh\n', { mode: 0o755 });
	lockFile = path.join(dir, 'cleanup.lock');
	const tag = path.basename(dir);
	server = await startServer({
		HOME: process.env.HOME ?? '/root',
		DOCKER_HOST: process.env.DOCKER_HOST,
		VMW_LOG_DIR: logDir,
		VMW_SCRIPTS_DIR: SCRIPTS,
		VMW_CRONTABS: `${path.join(dir, 'spool', 'root')},system:${path.join(dir, 'rootfs/etc/crontab')}`,
		VMW_ROOTFS: path.join(dir, 'rootfs'),
		VMW_CLEANUP_LOCK_FILE: lockFile,
		VMW_CLEANUP_HOLD_FILE: path.join(dir, 'cleanup.hold'),
		VMW_CLEANUP_DOCKER_FILTERS: `label=vmw.test.maint=${tag}`,
		VMW_APT_GET_BIN: '/nonexistent/apt-get',
		VMW_PNPM_BIN: '/nonexistent/pnpm',
		VMW_JOURNALCTL_BIN: '/nonexistent/journalctl',
		VMW_SCRIPT_RUNNER: 'direct'
	});
	const res = await fetch(`${server.url}/api/trpc/auth.login`, {
		method: 'POST',
		headers: {
			'content-type': 'application/json',
			origin: server.url,
			'sec-fetch-site': 'same-origin'
		},
		body: JSON.stringify({ json: { password: TEST_PASSWORD } })
	});
	cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
	expect(cookie).toMatch(/^vmw_session=/);
});

afterAll(async () => {
	await server?.stop();
	rmSync(dir, { recursive: true, force: true });
});

const jsonl = () =>
	existsSync(path.join(logDir, 'vm-cleanup.jsonl'))
		? readFileSync(path.join(logDir, 'vm-cleanup.jsonl'), 'utf8')
		: '';

describe('maintenance.run', () => {
	it('refuses the read-only API token (viewer) and runs nothing', async () => {
		const viewer = client({ authorization: `Bearer ${TEST_TOKEN}` });
		await expect(
			viewer.maintenance.run.mutate({ mode: 'standard', dryRun: true }).catch(codeOf)
		).resolves.toBe('FORBIDDEN');
		expect(jsonl()).toBe('');
	});

	it('refuses a mode with shell metacharacters by validation; nothing runs', async () => {
		const marker = path.join(dir, 'pwned');
		const op = client({ cookie });
		const bad = { mode: `standard;touch ${marker}`, dryRun: true } as unknown as {
			mode: 'standard';
			dryRun: boolean;
		};
		await expect(op.maintenance.run.mutate(bad).catch(codeOf)).resolves.toBe('BAD_REQUEST');
		await expect(
			op.maintenance.run
				.mutate({ mode: 'standard', dryRun: true, extra: '--full' } as never)
				.catch(codeOf)
		).resolves.toBe('BAD_REQUEST');
		expect(existsSync(marker)).toBe(false);
		expect(jsonl()).toBe('');
	});

	it('runs a dry run: progress events in order, ending with the record; it shows in cron.history', async () => {
		const op = client({ cookie });
		const events: ProgressEvent[] = [];
		const { runId } = await op.maintenance.run.mutate({ mode: 'standard', dryRun: true });
		expect(runId).toMatch(/^app-/);
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(
				() => reject(new Error(`no end event in 60 s; got ${events.map((e) => e.type).join(',')}`)),
				60_000
			);
			const sub = op.maintenance.progress.subscribe(
				{ runId },
				{
					onData(e) {
						events.push(e as ProgressEvent);
						if ((e as ProgressEvent).type === 'end') {
							clearTimeout(timer);
							sub.unsubscribe();
							resolve();
						}
					},
					onError(err) {
						clearTimeout(timer);
						reject(err);
					}
				}
			);
		});
		// The standard mode's three steps (docs/scripts.md), each started then ended, in order.
		const shape = events
			.filter((e) => e.type !== 'log')
			.map((e) =>
				e.type === 'step-start' || e.type === 'step-end' ? `${e.type}:${e.name}` : e.type
			);
		expect(shape).toEqual([
			'queued',
			'started',
			'step-start:docker_build_cache',
			'step-end:docker_build_cache',
			'step-start:docker_dangling_images',
			'step-end:docker_dangling_images',
			'step-start:docker_container_logs',
			'step-end:docker_container_logs',
			'finished',
			'record',
			'end'
		]);
		const end = events.at(-1) as Extract<ProgressEvent, { type: 'end' }>;
		expect(end).toMatchObject({ exitCode: 0, outcome: 'ok' });
		const record = (events.at(-2) as Extract<ProgressEvent, { type: 'record' }>).record!;
		// The same run as the script's own file says, parsed independently with the zod contract.
		const parsed = parseCleanupJsonl(jsonl());
		expect(parsed.errors).toEqual([]);
		expect(parsed.records).toHaveLength(1);
		expect(record).toMatchObject({
			id: parsed.records[0].runId,
			dryRun: true,
			mode: 'standard',
			status: parsed.records[0].status,
			freedBytes: parsed.records[0].freedBytes
		});
		expect(parsed.records[0].steps.map((s) => s.status)).toEqual(['ok', 'ok', 'ok']);

		const history = await op.cron.history.query({ limit: 10 });
		expect(history.entries.map((e) => e.id)).toEqual([parsed.records[0].runId]);

		// Recorded who/when/mode/outcome in the actions table.
		const db = createClient({ url: `file:${path.join(server.dataDir, 'vmwarden.db')}` });
		const rows = (
			await db.execute(
				"select actor, action, input, outcome, result from actions where action = 'maintenance.run' order by id"
			)
		).rows;
		db.close();
		// The read token's refused attempt is recorded too (issue 16: denied attempts), and so are
		// the two inputs refused by validation (issue 21 item 10: different reasons, two rows), then the run.
		expect(rows.map((r) => [r.actor, r.input, r.outcome])).toEqual([
			['token:viewer', null, 'denied'],
			['session:admin:admin', null, 'error'],
			['session:admin:admin', null, 'error'],
			['session:admin:admin', '{"mode":"standard","dryRun":true}', 'ok']
		]);
		expect(String(rows[1].result)).toMatch(/^BAD_REQUEST: /);
		expect(String(rows[3].result)).toContain(`run ${parsed.records[0].runId}`);
	});

	it('answers CONFLICT while another process holds the script lock, and for two runs at once', async () => {
		const op = client({ cookie });
		// Own process group: flock forks `sleep`, which keeps the lock; kill the whole group.
		let holder: ChildProcess | null = spawn('flock', [lockFile, 'sleep', '30'], {
			stdio: 'ignore',
			detached: true
		});
		try {
			await new Promise((r) => setTimeout(r, 300));
			const err = await op.maintenance.run
				.mutate({ mode: 'standard', dryRun: true })
				.catch((e: unknown) => e);
			expect(codeOf(err)).toBe('CONFLICT');
			expect((err as Error).message).toContain(`the cleanup lock ${lockFile} is held`);
		} finally {
			const exited = new Promise((r) => holder!.once('exit', r));
			process.kill(-holder.pid!, 'SIGTERM');
			await exited;
			holder = null;
		}
		const before = parseCleanupJsonl(jsonl()).records.length;
		const both = await Promise.allSettled([
			op.maintenance.run.mutate({ mode: 'standard', dryRun: true }),
			op.maintenance.run.mutate({ mode: 'standard', dryRun: true })
		]);
		expect(
			both.map((r) => (r.status === 'fulfilled' ? 'started' : codeOf(r.reason))).sort()
		).toEqual(['CONFLICT', 'started']);
		// Wait for the started one to finish, then exactly one more record exists.
		for (let i = 0; i < 120 && parseCleanupJsonl(jsonl()).records.length === before; i++)
			await new Promise((r) => setTimeout(r, 500));
		await new Promise((r) => setTimeout(r, 500));
		expect(parseCleanupJsonl(jsonl()).records.length).toBe(before + 1);
	});

	it('GET /api/vm/cron-status answers JSON for the token, with every fixture job', async () => {
		const res = await fetch(`${server.url}/api/vm/cron-status`, {
			headers: { authorization: `Bearer ${TEST_TOKEN}` }
		});
		expect(res.status).toBe(200);
		const body = (await res.json()) as {
			jobs: { name: string; state: string; system: boolean }[];
			lastCleanup: unknown;
			script: { found: boolean };
		};
		// Each job says whether it is the distribution's: /etc/crontab's run-parts lines are.
		expect(body.jobs.map((j) => [j.name, j.system])).toEqual([
			...[
				'restore-iptables',
				'hermes-root-backup',
				'rotate-ticks',
				'health-check',
				'cleanup-standard',
				'cleanup-weekly',
				'cleanup-full',
				'backup',
				'curl'
			].map((n) => [n, false]),
			...['cron.hourly', 'cron.daily', 'cron.weekly', 'cron.monthly'].map((n) => [n, true])
		]);
		expect(body.script.found).toBe(true);
		// Only dry runs so far: no real cleanup to report.
		expect(body.lastCleanup).toBeNull();

		// The same states on /metrics: the commented-out job is disabled (4), the unwrapped
		// hermes-root-backup has no history (unknown, 5).
		const metrics = await (
			await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })
		).text();
		expect(metrics).toMatch(/vmwarden_cron_job_state\{cron_job="backup"[^}]*\} 4\n/);
		expect(metrics).toMatch(/vmwarden_cron_job_state\{cron_job="hermes-root-backup"[^}]*\} 5\n/);
		expect(metrics).toMatch(/vmwarden_cleanup_freed_bytes_total(\{[^}]*\})? 0\n/);
	});
});
