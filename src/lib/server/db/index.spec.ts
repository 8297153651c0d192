import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDb } from './index';

describe('openDb file modes', () => {
	let dir: string;
	afterEach(() => rm(dir, { recursive: true, force: true }));

	it('creates the directory 0700 and the database, -wal and -shm 0600', async () => {
		dir = await mkdtemp(path.join(tmpdir(), 'vmw-modes-'));
		const file = path.join(dir, 'data', 'vmwarden.db');
		const db = await openDb({ url: `file:${file}`, migrationsDir: 'drizzle' });
		await db.$client.execute("INSERT INTO settings (key, value, updated_at) VALUES ('k', 'v', 1)");
		const mode = async (p: string) => (await stat(p)).mode & 0o777;
		expect(await mode(path.dirname(file))).toBe(0o700);
		expect(await mode(file)).toBe(0o600);
		expect(await mode(file + '-wal')).toBe(0o600);
		expect(await mode(file + '-shm')).toBe(0o600);
		db.$client.close();
	});

	it('tightens an existing 0644 database', async () => {
		dir = await mkdtemp(path.join(tmpdir(), 'vmw-modes-'));
		await mkdir(path.join(dir, 'old'));
		const file = path.join(dir, 'old', 'vmwarden.db');
		await writeFile(file, '', { mode: 0o644 });
		const db = await openDb({ url: `file:${file}`, migrationsDir: 'drizzle' });
		expect((await stat(file)).mode & 0o777).toBe(0o600);
		db.$client.close();
	});
});
