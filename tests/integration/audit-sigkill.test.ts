// Issue 16 part 7: SIGKILL the server right after an acknowledged mutation, 50 times. Every
// acknowledged action must have its intent row and its outcome; a mutation in flight at the
// kill is 'unknown' after the next start (never left 'pending'); the database stays intact.
import { describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from '@libsql/client';
import { startServer, TEST_PASSWORD } from '../helpers/server';

const ROUNDS = 50;

describe('audit record survives SIGKILL', () => {
	it(
		`${ROUNDS} kills right after an acknowledged mutation lose no acknowledged action`,
		{ timeout: 900_000 },
		async () => {
			const dir = await mkdtemp(path.join(tmpdir(), 'vmw-sigkill-'));
			const dbFile = path.join(dir, 'vmwarden.db');
			const env = {
				VMW_DATA_DIR: dir,
				VMW_DATABASE_URL: `file:${dbFile}`,
				VMW_SAMPLE_INTERVAL_MS: '5000'
			};
			const acknowledged: string[] = [];
			try {
				for (let round = 0; round < ROUNDS; round++) {
					const server = await startServer(env);
					const headers = { 'content-type': 'application/json', origin: server.url };
					const login = await fetch(`${server.url}/api/trpc/auth.login`, {
						method: 'POST',
						headers,
						body: JSON.stringify({ json: { password: TEST_PASSWORD } })
					});
					const cookie = login.headers.get('set-cookie')!.split(';')[0];
					const create = (name: string) =>
						fetch(`${server.url}/api/trpc/users.create`, {
							method: 'POST',
							headers: { ...headers, cookie },
							body: JSON.stringify({
								json: { name, role: 'viewer', password: 'a long password 1' }
							})
						});
					const res = await create(`acked-${round}`);
					// One more in flight when the kill lands (its fate is ok, unknown or not started).
					void create(`inflight-${round}`).catch(() => undefined);
					await server.signal('SIGKILL');
					expect(res.status).toBe(200);
					acknowledged.push(`acked-${round}`);
					await server.stop();
				}
				// The next start marks what was in flight 'unknown'.
				const last = await startServer(env);
				await last.stop();

				const db = createClient({ url: `file:${dbFile}` });
				const rows = (
					await db.execute("SELECT target, outcome FROM actions WHERE action = 'users.create'")
				).rows as unknown as { target: string; outcome: string }[];
				const byTarget = new Map(rows.map((r) => [r.target, r.outcome]));
				expect(acknowledged.filter((t) => byTarget.get(t) !== 'ok')).toEqual([]);
				expect(rows.filter((r) => r.outcome === 'pending')).toEqual([]);
				expect(rows.every((r) => ['ok', 'unknown', 'error'].includes(r.outcome))).toBe(true);
				// Each acknowledged user exists too.
				const users = new Set(
					((await db.execute('SELECT name FROM users')).rows as unknown as { name: string }[]).map(
						(u) => u.name
					)
				);
				expect(acknowledged.filter((n) => !users.has(n))).toEqual([]);
				expect((await db.execute('PRAGMA integrity_check')).rows[0][0]).toBe('ok');
				db.close();
			} finally {
				await rm(dir, { recursive: true, force: true });
			}
		}
	);
});
