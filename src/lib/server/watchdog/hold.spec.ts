// The hold file on a real temporary directory.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readHold } from './hold';

const dir = mkdtempSync(path.join(tmpdir(), 'vmw-hold-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const read = (f: string) => readFile(f, 'utf8');

describe('readHold', () => {
	it('no file: no hold, and nothing is read (no ENOENT error built at every evaluation)', async () => {
		const spy = vi.fn(read);
		expect(await readHold(path.join(dir, 'cleanup.hold'), spy)).toBeNull();
		expect(spy).not.toHaveBeenCalled();
	});

	it('a path through a regular file (ENOTDIR): no hold', async () => {
		writeFileSync(path.join(dir, 'plain'), 'x');
		expect(await readHold(path.join(dir, 'plain', 'cleanup.hold'), read)).toBeNull();
	});

	it('a file: its first line is the reason', async () => {
		const f = path.join(dir, 'held');
		writeFileSync(f, 'disk migration until 14:00\nsecond line\n');
		expect(await readHold(f, read)).toEqual({ reason: 'disk migration until 14:00' });
		expect(readFileSync(f, 'utf8')).toContain('second line');
	});

	it('something there that cannot be read is still a hold', async () => {
		const d = path.join(dir, 'a-directory');
		mkdirSync(d);
		expect(await readHold(d, read)).toEqual({ reason: '' });
	});

	it('removed between the check and the read: no hold', async () => {
		const gone = Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
		expect(
			await readHold(
				'/x',
				() => Promise.reject(gone),
				() => true
			)
		).toBeNull();
	});
});
