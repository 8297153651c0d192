import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDb, type Db } from '../../src/lib/server/db';

/** A fresh, migrated SQLite file in a temp dir; `cleanup` closes and removes it. */
export async function freshDb(): Promise<{
	db: Db;
	dir: string;
	url: string;
	cleanup: () => Promise<void>;
}> {
	const dir = await mkdtemp(path.join(tmpdir(), 'vmw-db-'));
	const url = `file:${path.join(dir, 'test.db')}`;
	const db = await openDb({ url, migrationsDir: 'drizzle' });
	return {
		db,
		dir,
		url,
		async cleanup() {
			db.$client.close();
			await rm(dir, { recursive: true, force: true });
		}
	};
}
