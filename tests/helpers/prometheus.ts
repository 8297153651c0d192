/**
 * The rig's Prometheus for tests: PromQL queries and history backfill.
 *
 * Backfill is how trend tests get weeks of history in seconds:
 *   1. `promtool tsdb create-blocks-from openmetrics` writes blocks into a staging dir
 *      beside the data dir (same filesystem),
 *   2. each finished block dir is renamed into the data dir (atomic, so the running
 *      Prometheus never sees half a block),
 *   3. Prometheus loads new blocks on its periodic block reload, once a minute since
 *      2.25 (prometheus/prometheus#8268); neither /-/reload (config only) nor an admin
 *      endpoint triggers it in 2.42. So `backfill` polls /api/v1/series until every
 *      backfilled metric is visible over its time range: expect it to take up to ~60 s,
 *      and backfill once per file in `beforeAll` (hookTimeout is 120 s).
 *
 * Retention is 60 d: a block ending more than 60 days before the newest block ends is
 * deleted at the next reload, so keep backfilled history within 60 days.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { rigEnv, type RigEnv } from './rig';

const execFileAsync = promisify(execFile);

export interface PromSample {
	metric: Record<string, string>;
	/** [unix seconds, value as string] */
	value: [number, string];
}

export interface PromSeries {
	metric: Record<string, string>;
	values: [number, string][];
}

async function promApi<T>(
	env: RigEnv,
	path: string,
	params: Record<string, string | string[]>
): Promise<T> {
	const body = new URLSearchParams();
	for (const [key, value] of Object.entries(params)) {
		for (const v of Array.isArray(value) ? value : [value]) body.append(key, v);
	}
	const url = `${env.prometheusUrl}${path}`;
	const response = await fetch(url, { method: 'POST', body, signal: AbortSignal.timeout(10_000) });
	const json = (await response.json()) as { status: string; data: T; error?: string };
	if (json.status !== 'success')
		throw new Error(`${url} ${body}: ${json.error ?? response.status}`);
	return json.data;
}

/** Instant query; `timeSec` defaults to now. */
export async function promQuery(
	expr: string,
	opts: { timeSec?: number; env?: RigEnv } = {}
): Promise<PromSample[]> {
	const env = opts.env ?? rigEnv();
	const params: Record<string, string> = { query: expr };
	if (opts.timeSec !== undefined) params.time = String(opts.timeSec);
	const data = await promApi<{ resultType: string; result: PromSample[] }>(
		env,
		'/api/v1/query',
		params
	);
	return data.result;
}

/** Range query over [startSec, endSec] with `stepSec` resolution. */
export async function promQueryRange(opts: {
	expr: string;
	startSec: number;
	endSec: number;
	stepSec: number;
	env?: RigEnv;
}): Promise<PromSeries[]> {
	const env = opts.env ?? rigEnv();
	const data = await promApi<{ resultType: string; result: PromSeries[] }>(
		env,
		'/api/v1/query_range',
		{
			query: opts.expr,
			start: String(opts.startSec),
			end: String(opts.endSec),
			step: String(opts.stepSec)
		}
	);
	return data.result;
}

/** Metric names and the time range (unix seconds) of the samples in OpenMetrics text. */
export function describeOpenMetrics(text: string): {
	names: string[];
	series: string[];
	minSec: number;
	maxSec: number;
} {
	const names = new Set<string>();
	// Each series as a PromQL selector (`name{a="b"}` is the same text in both formats).
	const series = new Set<string>();
	let minSec = Infinity;
	let maxSec = -Infinity;
	for (const line of text.split('\n')) {
		if (line === '' || line.startsWith('#')) continue;
		const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
		const fields = line
			.replace(/\{.*\}/, '{}')
			.trim()
			.split(/\s+/);
		const ts = Number(fields[2]);
		if (!name || fields.length < 3 || !Number.isFinite(ts)) {
			throw new Error(`backfill needs a timestamp on every sample; got: ${line}`);
		}
		names.add(name);
		series.add(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})?/.exec(line)![0]);
		minSec = Math.min(minSec, ts);
		maxSec = Math.max(maxSec, ts);
	}
	if (names.size === 0) throw new Error('backfill: no samples in the OpenMetrics text');
	return { names: [...names], series: [...series], minSec, maxSec };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Writes history into the rig's Prometheus and waits until it is queryable.
 *
 * `openMetricsText`: OpenMetrics exposition with a timestamp (unix seconds) on every
 * sample and `# EOF` as the last line (added if missing), e.g.
 *   # TYPE vmw_disk_used_bytes gauge
 *   vmw_disk_used_bytes{mount="/"} 1.2e9 1767225600
 *   vmw_disk_used_bytes{mount="/"} 1.3e9 1767229200
 *   # EOF
 * Counter sample names need their `_total` suffix, and names must be unique per
 * `# TYPE` family as OpenMetrics requires (promtool rejects the file otherwise).
 */
export async function backfill(
	openMetricsText: string,
	opts: { timeoutMs?: number; env?: RigEnv; promtoolTimeoutMs?: number } = {}
): Promise<{ blockIds: string[]; waitedMs: number }> {
	const env = opts.env ?? rigEnv();
	const timeoutMs = opts.timeoutMs ?? 90_000;
	const text = openMetricsText.trimEnd().endsWith('# EOF')
		? `${openMetricsText.trimEnd()}\n`
		: `${openMetricsText.trimEnd()}\n# EOF\n`;
	const { names, series, minSec, maxSec } = describeOpenMetrics(text.replace(/^# EOF$/m, ''));
	// Wait for these exact series, not only their names: a name backfilled before (an
	// earlier run of the same test) is visible at once, before the new block is loaded.
	const waitFor = series.length <= 20 ? series : [...series.slice(0, 10), ...series.slice(-10)];

	await stat(env.promDataDir).catch((cause) => {
		throw new Error(`Prometheus data dir ${env.promDataDir} missing: is the rig up?`, { cause });
	});
	const staging = await mkdtemp(join(dirname(env.promDataDir), 'backfill-'));
	const blockIds: string[] = [];
	try {
		const input = join(staging, 'input.om');
		const out = join(staging, 'blocks');
		await writeFile(input, text);
		try {
			await execFileAsync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', input, out], {
				// 30 days make ~360 two-hour blocks: minutes on a busy 2-core machine
				timeout: opts.promtoolTimeoutMs ?? 60_000
			});
		} catch (cause) {
			const stderr = (cause as { stderr?: string }).stderr ?? '';
			throw new Error(`promtool create-blocks-from openmetrics failed: ${stderr.trim()}`, {
				cause
			});
		}
		for (const entry of await readdir(out)) {
			// Block dirs are ULIDs; promtool's own tmp dirs are not moved.
			if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(entry)) continue;
			await rename(join(out, entry), join(env.promDataDir, entry));
			blockIds.push(entry);
		}
	} finally {
		await rm(staging, { recursive: true, force: true });
	}
	if (blockIds.length === 0) throw new Error('promtool created no blocks');

	const started = Date.now();
	for (;;) {
		const visible = await Promise.all(
			waitFor.map(async (selector) => {
				const found = await promApi<unknown[]>(env, '/api/v1/series', {
					'match[]': selector,
					start: String(minSec),
					end: String(maxSec)
				});
				return found.length > 0;
			})
		);
		if (visible.every(Boolean)) return { blockIds, waitedMs: Date.now() - started };
		if (Date.now() - started > timeoutMs) {
			throw new Error(
				`backfilled blocks ${blockIds.join(', ')} not visible in Prometheus after ${timeoutMs} ms ` +
					`(metrics ${names.join(', ')}); see /tmp/vmwarden-rig/log/prometheus.log`
			);
		}
		await sleep(1_000);
	}
}
