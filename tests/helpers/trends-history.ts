/**
 * 30 days of synthetic node_exporter / cAdvisor / vmwarden history with known answers, as
 * OpenMetrics text for `backfill` (tests/helpers/prometheus.ts). Every series carries
 * instance="<instance>" so a selector on it sees only this run's data.
 *
 * Known answers (derivations beside each generator):
 *   disk "/"   37 % at the start, +0.5 %/day; a cleanup at day 15 (44.5 %) frees it to 40 %,
 *              +0.5 %/day again -> 47.5 % at the end: 55 % is 15 days after the end, 70 % 45, 100 % 105
 *   disk /run  tmpfs at 10 %: must never appear (not a real mount)
 *   steal      2 % until 7 days before the end; then one value per day, oldest first,
 *              3, 5, 7, 9, 11, 5, 2 -> the 7-day average is 42 / 7 = 6 %
 *   memory     MemAvailable 4 GiB; swap used = 2 GiB total − 1.5 GiB free = 0.5 GiB
 *   load1      0.75
 *   writes     "invttrdg-backend" 1 MB/s, but 10 MB/s for the whole UTC day `spikeDayMs`;
 *              "quiet" 0.1 MB/s throughout
 *   unhealthy  vmwarden_containers{health="unhealthy",host_id} 0, but 2 during the spike day (5 healthy, 3 then)
 */
const DAY_S = 86_400;
export const SAMPLE_EVERY_S = 300;
const GiB = 1024 ** 3;
const DISK_SIZE = 100e9;

export interface SyntheticHistory {
	text: string;
	startSec: number;
	endSec: number;
	cleanupSec: number;
	spikeDayMs: number;
	/** 7 daily steal values, oldest first, ending at endSec */
	stealDaily: number[];
}

export function diskPctAt(sec: number, startSec: number): number {
	const d = (sec - startSec) / DAY_S;
	return d < 15 ? 37 + 0.5 * d : 40 + 0.5 * (d - 15);
}

export function syntheticTrendHistory({
	instance,
	hostId,
	endSec
}: {
	instance: string;
	hostId: string;
	endSec: number;
}): SyntheticHistory {
	const end = Math.floor(endSec / SAMPLE_EVERY_S) * SAMPLE_EVERY_S;
	const start = end - 30 * DAY_S;
	const cleanupSec = start + 15 * DAY_S;
	const spikeDayMs = (Math.floor(end / DAY_S) - 5) * DAY_S * 1000;
	const stealDaily = [3, 5, 7, 9, 11, 5, 2];
	const times: number[] = [];
	for (let t = start; t <= end; t += SAMPLE_EVERY_S) times.push(t);
	const base = `instance="${instance}",job="trends-test"`;
	const out: string[] = [];
	const family = (
		name: string,
		type: 'gauge' | 'counter',
		series: { labels: string; value: (t: number) => number; from?: number }[]
	) => {
		out.push(`# TYPE ${name.replace(/_total$/, '')} ${type}`);
		for (const s of series)
			for (const t of times)
				if (t >= (s.from ?? start))
					out.push(`${name}{${base}${s.labels ? `,${s.labels}` : ''}} ${s.value(t)} ${t}`);
	};

	const root = 'device="/dev/vda1",fstype="ext4",mountpoint="/"';
	const run = 'device="tmpfs",fstype="tmpfs",mountpoint="/run"';
	const runFrom = end - 2 * DAY_S;
	const usedRoot = (t: number) => (diskPctAt(t, start) / 100) * DISK_SIZE;
	family('node_filesystem_size_bytes', 'gauge', [
		{ labels: root, value: () => DISK_SIZE },
		{ labels: run, value: () => 1e9, from: runFrom }
	]);
	// no reserved blocks: avail = free, so df's used/(used+avail) = used/size
	family('node_filesystem_free_bytes', 'gauge', [
		{ labels: root, value: (t) => DISK_SIZE - usedRoot(t) },
		{ labels: run, value: () => 0.9e9, from: runFrom }
	]);
	family('node_filesystem_avail_bytes', 'gauge', [
		{ labels: root, value: (t) => DISK_SIZE - usedRoot(t) },
		{ labels: run, value: () => 0.9e9, from: runFrom }
	]);

	// one CPU: each 300 s splits into steal f, user 20 %, idle the rest; counters are the integrals
	const stealFrac = (t: number) => {
		const daysBeforeEnd = Math.floor((end - t) / DAY_S); // 0 for the last day
		return daysBeforeEnd < 7 && t > end - 7 * DAY_S ? stealDaily[6 - daysBeforeEnd] / 100 : 0.02;
	};
	const integral = (frac: (t: number) => number) => {
		const acc = new Map<number, number>();
		let sum = 0;
		for (const t of times) {
			acc.set(t, sum);
			sum += frac(t + SAMPLE_EVERY_S / 2) * SAMPLE_EVERY_S; // the fraction of the interval after t
		}
		return (t: number) => acc.get(t)!;
	};
	const steal = integral(stealFrac);
	const user = integral(() => 0.2);
	const idle = integral((t) => 0.8 - stealFrac(t));
	family('node_cpu_seconds_total', 'counter', [
		{ labels: 'cpu="0",mode="idle"', value: idle },
		{ labels: 'cpu="0",mode="steal"', value: steal },
		{ labels: 'cpu="0",mode="user"', value: user }
	]);

	family('node_memory_MemAvailable_bytes', 'gauge', [{ labels: '', value: () => 4 * GiB }]);
	family('node_memory_SwapTotal_bytes', 'gauge', [{ labels: '', value: () => 2 * GiB }]);
	family('node_memory_SwapFree_bytes', 'gauge', [{ labels: '', value: () => 1.5 * GiB }]);
	family('node_load1', 'gauge', [{ labels: '', value: () => 0.75 }]);

	const inSpike = (t: number) => t * 1000 >= spikeDayMs && t * 1000 < spikeDayMs + DAY_S * 1000;
	const app = integral((t) => (inSpike(t) ? 10e6 : 1e6));
	const quiet = integral(() => 1e5);
	family('container_fs_writes_bytes_total', 'counter', [
		{ labels: 'name="invttrdg-backend"', value: app },
		{ labels: 'name="quiet"', value: quiet }
	]);
	family('vmwarden_containers', 'gauge', [
		{
			labels: `health="unhealthy",host_id="${hostId}",state="running"`,
			value: (t) => (inSpike(t) ? 2 : 0)
		},
		{
			labels: `health="healthy",host_id="${hostId}",state="running"`,
			value: (t) => (inSpike(t) ? 3 : 5)
		}
	]);
	out.push('# EOF');
	return {
		text: out.join('\n') + '\n',
		startSec: start,
		endSec: end,
		cleanupSec,
		spikeDayMs,
		stealDaily
	};
}

/**
 * Synthetic history shared by the integration test, the e2e flow and the bench: a marker file
 * beside the rig records the instance label and the end time, and the data is reused while
 * Prometheus still has it and it ended less than `maxAgeSec` ago (the integration test asks for
 * 30 minutes, so within one `npm test` the e2e flow reuses what it backfilled: one promtool run of
 * ~360 blocks instead of two, 1–3 minutes on a busy 2-core machine).
 */
export const SHARED_TRENDS_HOST_ID = 'trends-shared';

export async function ensureSharedTrendHistory(maxAgeSec = 6 * 3600): Promise<{
	instance: string;
	hostId: string;
	meta: Omit<SyntheticHistory, 'text'>;
}> {
	const hostId = SHARED_TRENDS_HOST_ID;
	const { readFile, writeFile } = await import('node:fs/promises');
	const { rigEnv } = await import('./rig');
	const { backfill, promQuery } = await import('./prometheus');
	const env = rigEnv();
	const marker = `${env.promDataDir}/../trends-shared-history.json`;
	try {
		const m = JSON.parse(await readFile(marker, 'utf8')) as {
			instance: string;
			hostId: string;
			meta: Omit<SyntheticHistory, 'text'>;
		};
		const fresh = Date.now() / 1000 - m.meta.endSec < maxAgeSec;
		if (fresh && m.hostId === hostId) {
			const r = await promQuery(`count_over_time(node_load1{instance="${m.instance}"}[31d])`);
			if (r.length) return { instance: m.instance, hostId, meta: m.meta };
		}
	} catch {
		/* no marker yet */
	}
	const instance = `trends-shared-${Date.now().toString(36)}`;
	const { text, ...meta } = syntheticTrendHistory({
		instance,
		hostId,
		endSec: Date.now() / 1000 - 60
	});
	await backfill(text, { timeoutMs: 150_000, promtoolTimeoutMs: 300_000 });
	await waitForWholeHistory(instance, meta.endSec);
	await writeFile(marker, JSON.stringify({ instance, hostId, meta }));
	return { instance, hostId, meta };
}

/**
 * Waits until every sample of the 30 days answers a query: `backfill` returns once the series
 * are listed, but on a busy Prometheus the freshly loaded (and overlapping) blocks can take a
 * while longer to answer whole. 30 days of 5-minute samples, both ends included: 8641.
 */
export async function waitForWholeHistory(
	instance: string,
	endSec: number,
	timeoutMs = 120_000
): Promise<void> {
	const { promQuery } = await import('./prometheus');
	const want = (30 * DAY_S) / SAMPLE_EVERY_S + 1;
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const r = await promQuery(`count_over_time(node_load1{instance="${instance}"}[30d])`, {
			timeSec: endSec
		});
		const got = Number(r[0]?.value[1] ?? 0);
		if (got === want) return;
		if (Date.now() > deadline)
			throw new Error(
				`backfilled history of ${instance}: ${got} of ${want} samples answer after ${timeoutMs} ms`
			);
		await new Promise((r) => setTimeout(r, 1000));
	}
}
