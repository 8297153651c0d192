import { createClient, type Client } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { chmod, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import * as schema from './schema';
import { redactUrl } from '../log';

export type Db = LibSQLDatabase<typeof schema> & { $client: Client };

/**
 * Open the database and bring it to the latest migration. For a file URL the parent
 * directory is created. WAL + synchronous=FULL + busy_timeout: nothing acknowledged is lost
 * (DESIGN decision 7).
 */
export async function openDb({
	url,
	migrationsDir
}: {
	url: string;
	migrationsDir: string;
}): Promise<Db> {
	const file = url.startsWith('file:') ? url.slice('file:'.length).split('?')[0] : null;
	const onDisk = file && file !== ':memory:' ? path.resolve(file) : null;
	if (onDisk) await ownerOnly(onDisk);
	const client = createClient({ url });
	if (url.startsWith('file:')) {
		await client.execute('PRAGMA journal_mode = WAL');
		// SQLite gives -wal and -shm the database file's mode; older installs may have 0644 ones.
		if (onDisk)
			await Promise.all(
				['-wal', '-shm'].map((s) => chmod(onDisk + s, 0o600).catch(() => undefined))
			);
		await client.execute('PRAGMA synchronous = FULL');
		await client.execute('PRAGMA busy_timeout = 5000');
		await client.execute('PRAGMA foreign_keys = ON');
	}
	const db = drizzle(client, { schema }) as Db;
	try {
		await migrate(db, { migrationsFolder: path.resolve(migrationsDir) });
	} catch (err) {
		client.close();
		throw new Error(
			`Could not apply migrations from ${path.resolve(migrationsDir)} to ${redactUrl(url)}`,
			{ cause: err }
		);
	}
	return db;
}

/**
 * The database holds password and token hashes: its directory is created 0700 and the file
 * 0600 (created empty here, so SQLite never makes it with the umask's 0644).
 */
async function ownerOnly(file: string) {
	await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
	const handle = await open(file, 'a', 0o600);
	await handle.close();
	await chmod(file, 0o600);
}

export { schema };
