// npm run bench, maintenance section (issue 8): cron.status over a long history, and a full
// parse of a 100 MB JSON-lines file beside `wc -l` (the floor: counting newlines, no parsing).
// Called from bench/run.ts; runs on its own with `node --import tsx bench/maintenance.ts`.
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { createStatusReader } from '../src/lib/server/maintenance/status';
import { readHistory } from '../src/lib/server/maintenance/run-history';

const run = promisify(execFile);
const MIN = 60_000;

const pct = (sorted: number[], p: number) =>
	sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const fmt = (n: number, d = 1) => n.toFixed(d).padStart(10);
const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');

const CRONTAB = `CRON_TZ=UTC
*/5 * * * * /opt/s/cron-run.sh backup-sync -- /opt/s/git-safe-sync.sh /srv/backup
# vmwarden-maintenance BEGIN
0 7 * * * /opt/s/cron-run.sh health-check -- /opt/s/vm-health-check.sh --alert >> /var/log/vm-health-check.log 2>&1
30 3 * * 1-6 /opt/s/cron-run.sh cleanup-standard -- /opt/s/vm-cleanup.sh --standard > /dev/null 2>&1
30 3 * * 0 /opt/s/cron-run.sh cleanup-weekly -- /opt/s/vm-cleanup.sh --weekly > /dev/null 2>&1
0 4 1 * * /opt/s/cron-run.sh cleanup-full -- /opt/s/vm-cleanup.sh --full > /dev/null 2>&1
# vmwarden-maintenance END
`;

/**
 * 100,000 cron-run records, one every 5 minutes ending now (~347 days), split over five
 * rotations of vmwarden-cron.jsonl: the current file, .1, .2 plain, .3.gz and .4.gz.
 * Plus a cleanup record per day in vm-cleanup.jsonl.
 */
async function makeHistory(dir: string, now: number) {
	const total = 100_000;
	const perFile = total / 5;
	const line = (i: number) => {
		const start = now - (total - i) * 5 * MIN;
		const job = i % 288 === 0 ? 'health-check' : 'backup-sync';
		return JSON.stringify({
			job,
			start: new Date(start).toISOString(),
			end: new Date(start + 2100).toISOString(),
			exitCode: i % 97 === 0 ? 1 : 0,
			durationMs: 2100,
			outputTail: `synced ${i} objects\nup to date`
		});
	};
	const names = [
		'vmwarden-cron.jsonl.4.gz',
		'vmwarden-cron.jsonl.3.gz',
		'vmwarden-cron.jsonl.2',
		'vmwarden-cron.jsonl.1',
		'vmwarden-cron.jsonl'
	];
	for (let f = 0; f < 5; f++) {
		const lines: string[] = [];
		for (let i = f * perFile; i < (f + 1) * perFile; i++) lines.push(line(i));
		const text = lines.join('\n') + '\n';
		await writeFile(path.join(dir, names[f]), names[f].endsWith('.gz') ? gzipSync(text) : text);
	}
	// One cleanup run per day as the managed block schedules them: weekly on Sunday, standard
	// the other days, and full on the 1st of the month.
	const cleanup: string[] = [];
	const runOf = (ts: string, mode: string, runId: string, freed: number) => [
		JSON.stringify({ event: 'start', runId, ts, mode, dryRun: false, pid: 100, hostId: 'vm' }),
		JSON.stringify({
			runId,
			hostId: 'vm',
			ts,
			mode,
			dryRun: false,
			diskBefore: null,
			diskAfter: null,
			freedBytes: freed,
			durationMs: 1200,
			status: 'ok',
			steps: []
		})
	];
	for (let d = 347; d >= 0; d--) {
		const day = Math.floor((now - d * 86_400_000) / 86_400_000) * 86_400_000;
		const at = new Date(day + 3.5 * 3_600_000);
		if (at.getTime() > now) continue;
		cleanup.push(
			...runOf(at.toISOString(), at.getUTCDay() === 0 ? 'weekly' : 'standard', `r${d}`, 1000 * d)
		);
		const full = new Date(day + 4 * 3_600_000);
		if (full.getUTCDate() === 1 && full.getTime() <= now)
			cleanup.push(...runOf(full.toISOString(), 'full', `f${d}`, 5000 * d));
	}
	await writeFile(path.join(dir, 'vm-cleanup.jsonl'), cleanup.join('\n') + '\n');
	return cleanup.length / 2;
}

/** ~100 MB of cron-run records with realistic output tails. */
async function makeBigFile(file: string, targetBytes = 100 * 1024 * 1024) {
	const out = createWriteStream(file);
	let bytes = 0;
	let i = 0;
	const t0 = Date.parse('2025-01-01T00:00:00Z');
	while (bytes < targetBytes) {
		const chunk: string[] = [];
		for (let k = 0; k < 1000; k++, i++) {
			const start = new Date(t0 + i * 60_000).toISOString();
			chunk.push(
				JSON.stringify({
					job: `job-${i % 7}`,
					start,
					end: start,
					exitCode: i % 13 === 0 ? 1 : 0,
					durationMs: 1000 + (i % 500),
					outputTail: `line ${i}: ${'x'.repeat(180)}\nexit ok`
				})
			);
		}
		const text = chunk.join('\n') + '\n';
		bytes += Buffer.byteLength(text);
		if (!out.write(text)) await new Promise((r) => out.once('drain', r));
	}
	await new Promise<void>((resolve, reject) =>
		out.end((err?: Error | null) => (err ? reject(err) : resolve()))
	);
	return { bytes, lines: i };
}

export async function benchMaintenance() {
	const dir = await mkdtemp(path.join(tmpdir(), 'vmw-bench-maint-'));
	try {
		const now = Date.now();
		const cleanupRuns = await makeHistory(dir, now);
		await writeFile(path.join(dir, 'root'), CRONTAB);
		const reader = createStatusReader({
			logDir: dir,
			crontabs: [path.join(dir, 'root')],
			defaultTz: 'UTC',
			graceMs: 15 * MIN,
			cronRunPath: '/opt/s/cron-run.sh',
			lockHeld: async () => false
		});
		const time = async (n: number, cold: boolean) => {
			const ms: number[] = [];
			for (let i = 0; i < n; i++) {
				if (cold) reader.clearCache();
				const t0 = performance.now();
				await reader.status(new Date(now));
				ms.push(performance.now() - t0);
			}
			return ms.sort((a, b) => a - b);
		};
		await time(5, true); // warm-up (JIT)
		const cold = await time(100, true);
		const warm = await time(200, false);
		const sample = await reader.status(new Date(now));

		// The whole history, every record (unpacks both .gz files): the worst case a deep page costs.
		let t0 = performance.now();
		const all = await readHistory({ logDir: dir, limit: 1_000_000 });
		const allMs = performance.now() - t0;

		const big = path.join(dir, 'big', 'vmwarden-cron.jsonl');
		await run('mkdir', ['-p', path.dirname(big)]);
		const made = await makeBigFile(big);
		const size = (await stat(big)).size;
		const MB = size / 1e6;
		t0 = performance.now();
		const parsed = await readHistory({
			logDir: path.dirname(big),
			limit: 10_000_000,
			streams: { cleanup: false }
		});
		const parseMs = performance.now() - t0;
		t0 = performance.now();
		const wc = await run('wc', ['-l', big]);
		const wcMs = performance.now() - t0;

		console.log('\n maintenance (issue 8)                    vmwarden      floor          target');
		console.log(
			' ---------------------------------------- ------------ -------------- ------------'
		);
		console.log(` cron.status p50, cold scan (ms)         ${fmt(pct(cold, 50))}`);
		console.log(
			` cron.status p99, cold scan (ms)         ${fmt(pct(cold, 99))}                   < 50        ${mark(pct(cold, 99) < 50)}`
		);
		console.log(` cron.status p50, files unchanged (ms)   ${fmt(pct(warm, 50))}`);
		console.log(
			` cron.status p99, files unchanged (ms)   ${fmt(pct(warm, 99))}                   < 50        ${mark(pct(warm, 99) < 50)}`
		);
		console.log(` whole history, ${all.entries.length} runs (ms)      ${fmt(allMs, 0)}`);
		console.log(
			` full parse ${MB.toFixed(0)} MB JSON lines (MB/s)     ${fmt(MB / (parseMs / 1000))}  ${fmt(MB / (wcMs / 1000))} (wc -l)`
		);
		console.log(
			`\nHistory: 100,000 cron-run records (every 5 min) over five rotations (two gzipped) + ${cleanupRuns} cleanup runs;`
		);
		console.log(
			`status stops reading each file once no job state can change: jobs ${sample.jobs.map((j) => `${j.name}=${j.state}`).join(', ')}.`
		);
		const load = (await import('node:os')).loadavg()[0];
		console.log(
			`Machine load average during the run: ${load.toFixed(1)} on ${(await import('node:os')).cpus().length} CPUs (other work shares them: tails are noisy).`
		);
		console.log(
			`Full parse: ${parsed.entries.length} records (${made.lines} written, wc -l says ${wc.stdout.trim().split(' ')[0]}), read backwards and checked with zod; ${parsed.stats.malformed} malformed.`
		);
	} finally {
		await rm(dir, { recursive: true, force: true });
	}
}

if (process.argv[1] && import.meta.url === `file://${path.resolve(process.argv[1])}`)
	await benchMaintenance();
