import { createClient, type Client } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as schema from './schema';

export type Db = LibSQLDatabase<typeof schema> & { $client: Client };

/**
 * Open the database and bring it to the latest migration. For a file URL the parent
 * directory is created. WAL + synchronous=FULL + busy_timeout: nothing acknowledged is lost
 * (DESIGN decision 7).
 */
export async function openDb({ url, migrationsDir }: { url: string; migrationsDir: string }): Promise<Db> {
	if (url.startsWith('file:')) {
		const file = url.slice('file:'.length).split('?')[0];
		if (file && file !== ':memory:') await mkdir(path.dirname(path.resolve(file)), { recursive: true });
	}
	const client = createClient({ url });
	if (url.startsWith('file:')) {
		await client.execute('PRAGMA journal_mode = WAL');
		await client.execute('PRAGMA synchronous = FULL');
		await client.execute('PRAGMA busy_timeout = 5000');
		await client.execute('PRAGMA foreign_keys = ON');
	}
	const db = drizzle(client, { schema }) as Db;
	try {
		await migrate(db, { migrationsFolder: path.resolve(migrationsDir) });
	} catch (err) {
		client.close();
		throw new Error(`Could not apply migrations from ${path.resolve(migrationsDir)} to ${url}`, { cause: err });
	}
	return db;
}

export { schema };
