/**
 * A full week of the app's own 1-minute history in a SQLite file, as a server that ran for a
 * week without Prometheus has it: host_history (10,080 minutes, two mounts), its 15-minute
 * rollups (made the way the prune pass makes them), and per-container writes in container_history.
 *
 * Known answers: steal is the minute's index mod 10 (mean 4.5 over any whole 10 minutes), load1
 * 0.5, MemAvailable 4 GiB, swap 0; disk "/" climbs from 40 % by 1 % a day, /var/lib/docker stays at
 * 60 %; container i writes (i + 1) × 1,000 B/s. Also `actions` rows (the audit record /activity
 * lists), one every 2 minutes: a restart by the watchdog, alternating ok and error.
 */
import { openDb, type Db } from '../../src/lib/server/db';
import { rollupHistory } from '../../src/lib/server/db/rollup';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
export const WEEK_MINUTES = 7 * 1440;

export interface WeekOfHistory {
	hostId: string;
	/** the newest minute written */
	endMs: number;
	containers: number;
}

/** Fills `url` (migrated here) with a week of 1-minute history ending at the last whole minute before `nowMs`. */
export async function writeWeekOfHistory({
	url,
	hostId,
	containers = 40,
	nowMs = Date.now()
}: {
	url: string;
	hostId: string;
	containers?: number;
	nowMs?: number;
}): Promise<WeekOfHistory> {
	const db = await openDb({ url, migrationsDir: 'drizzle' });
	try {
		const endMs = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
		const startMs = endMs - (WEEK_MINUTES - 1) * MINUTE_MS;
		await insertRows(
			db,
			'host_history',
			'(host_id, ts, steal_pct, busy_pct, load1, mem_available_bytes, swap_used_bytes, swap_cached_bytes, disks)',
			WEEK_MINUTES,
			(i) => {
				const ts = startMs + i * MINUTE_MS;
				const disks = JSON.stringify([
					{ mount: '/', usedPct: 40 + (ts - startMs) / DAY_MS },
					{ mount: '/var/lib/docker', usedPct: 60 }
				]);
				return [hostId, ts, i % 10, 20, 0.5, 4 * 1024 ** 3, 0, 0, disks];
			}
		);
		await rollupHistory(db, { hostId });
		await insertRows(
			db,
			'container_history',
			'(host_id, key, ts, name, cpu_pct, mem_used_bytes, mem_peak_bytes, mem_limit_bytes, read_bps, write_bps)',
			WEEK_MINUTES * containers,
			(n) => {
				const c = n % containers;
				const ts = startMs + Math.floor(n / containers) * MINUTE_MS;
				return [
					hostId,
					`stack-svc-${c}`,
					ts,
					`stack-svc-${c}-1`,
					1,
					64 * 1024 ** 2,
					70 * 1024 ** 2,
					null,
					0,
					(c + 1) * 1000
				];
			}
		);
		await insertRows(
			db,
			'actions',
			'(host_id, ts, actor, address, action, target, input, outcome, result, ended_at)',
			WEEK_MINUTES / 2,
			(i) => {
				const ts = startMs + i * 2 * MINUTE_MS;
				return [
					hostId,
					ts,
					'watchdog',
					null,
					'watchdog.restart',
					`stack-svc-${i % containers}-1`,
					'{"reason":"unhealthy 3x"}',
					i % 2 ? 'error' : 'ok',
					i % 2 ? 'restart timed out after 10 s' : 'restarted in 1.2 s',
					ts + 1200
				];
			}
		);
		return { hostId, endMs, containers };
	} finally {
		db.$client.close();
	}
}

/** Multi-row INSERTs of `count` rows in one transaction (the week is written in seconds, not minutes). */
async function insertRows(
	db: Db,
	table: string,
	columns: string,
	count: number,
	row: (i: number) => unknown[]
) {
	const perStatement = 200;
	const tx = await db.$client.transaction('write');
	try {
		for (let i = 0; i < count; i += perStatement) {
			const rows: unknown[][] = [];
			for (let j = i; j < Math.min(count, i + perStatement); j++) rows.push(row(j));
			const placeholders = rows.map((r) => `(${r.map(() => '?').join(',')})`).join(',');
			await tx.execute({
				sql: `INSERT INTO ${table} ${columns} VALUES ${placeholders}`,
				args: rows.flat() as never
			});
		}
		await tx.commit();
	} finally {
		tx.close();
	}
}
