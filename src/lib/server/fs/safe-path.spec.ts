import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	SafePathError,
	listInside,
	nameProblem,
	openInside,
	readInside,
	resolveInside
} from './safe-path';

// Layout made fresh per run:
//   base/root/a.log            "inside"
//   base/root/sub/b.log
//   base/root/link-in   -> sub/b.log         (symlink that stays inside: allowed)
//   base/root/link-out  -> ../secret.txt     (symlink that leaves the root: refused)
//   base/root/link-abs  -> /etc/passwd
//   base/root/dir-out   -> ..                (directory symlink leaving the root)
//   base/root/loop      -> loop
//   base/secret.txt
let base: string;
let root: string;

beforeAll(() => {
	base = mkdtempSync(path.join(tmpdir(), 'vmw-safe-path-'));
	root = path.join(base, 'root');
	mkdirSync(path.join(root, 'sub'), { recursive: true });
	writeFileSync(path.join(root, 'a.log'), 'inside');
	writeFileSync(path.join(root, 'sub', 'b.log'), 'b');
	writeFileSync(path.join(base, 'secret.txt'), 'secret');
	symlinkSync('sub/b.log', path.join(root, 'link-in'));
	symlinkSync('../secret.txt', path.join(root, 'link-out'));
	symlinkSync('/etc/passwd', path.join(root, 'link-abs'));
	symlinkSync('..', path.join(root, 'dir-out'));
	symlinkSync('loop', path.join(root, 'loop'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

async function reason(p: Promise<unknown>): Promise<string> {
	try {
		await p;
	} catch (err) {
		if (err instanceof SafePathError) return err.reason;
		throw err;
	}
	return 'resolved';
}

describe('nameProblem (form only, no disk access)', () => {
	it.each([
		['../../etc/shadow', '".." segment in name'],
		['sub/../../secret.txt', '".." segment in name'],
		['..', '".." segment in name'],
		['%2e%2e%2fetc%2fshadow', 'percent-encoded characters in name'],
		['%2E%2E/secret.txt', 'percent-encoded characters in name'],
		['a.log\0.png', 'NUL byte in name'],
		['/etc/shadow', 'absolute path'],
		['..\\..\\etc\\shadow', 'backslash in name'],
		['', 'empty name'],
		['x'.repeat(1025), 'name longer than 1024 characters']
	])('%j is refused: %s', (name, problem) => {
		expect(nameProblem(name)).toBe(problem);
	});

	it.each(['a.log', 'vm-cleanup.jsonl.2.gz', 'sub/b.log', '..hidden', 'a..b', '100%'])(
		'%j is an acceptable form',
		(name) => {
			expect(nameProblem(name)).toBeNull();
		}
	);
});

describe('resolveInside', () => {
	it('resolves a plain file to its real path', async () => {
		// realpath of the root itself, since tmpdir may be a symlink on some systems
		const { realpathSync } = await import('node:fs');
		expect(await resolveInside(root, 'a.log')).toBe(path.join(realpathSync(root), 'a.log'));
	});

	it('follows a symlink that stays inside the root', async () => {
		const { realpathSync } = await import('node:fs');
		expect(await resolveInside(root, 'link-in')).toBe(
			path.join(realpathSync(root), 'sub', 'b.log')
		);
	});

	it.each([
		['../../etc/shadow', 'invalid-name'],
		['%2e%2e%2f%2e%2e%2fetc%2fshadow', 'invalid-name'],
		['a.log\0', 'invalid-name'],
		['/etc/shadow', 'invalid-name'],
		['link-out', 'outside-root'],
		['link-abs', 'outside-root'],
		['dir-out/secret.txt', 'outside-root'],
		['loop', 'outside-root'],
		['missing.log', 'not-found'],
		['a.log/x', 'not-found']
	])('%j -> %s', async (name, expected) => {
		expect(await reason(resolveInside(root, name))).toBe(expected);
	});

	it('says root-missing when the root itself does not exist', async () => {
		expect(await reason(resolveInside(path.join(base, 'nope'), 'a.log'))).toBe('root-missing');
	});
});

describe('openInside / readInside / listInside', () => {
	it('reads a file inside and refuses one outside through a symlink', async () => {
		expect(await readInside(root, 'a.log')).toBe('inside');
		expect(await reason(readInside(root, 'link-out'))).toBe('outside-root');
	});

	it('refuses a directory as a file', async () => {
		expect(await reason(openInside(root, 'sub'))).toBe('not-a-file');
	});

	it('refuses a file over the size limit', async () => {
		expect(await reason(readInside(root, 'a.log', { maxBytes: 3 }))).toBe('not-readable');
	});

	it('returns the size with the handle', async () => {
		const { handle, size } = await openInside(root, 'a.log');
		await handle.close();
		expect(size).toBe('inside'.length);
	});

	it('lists the root and a subdirectory, but not a directory symlink leaving it', async () => {
		expect(await listInside(root)).toEqual([
			'a.log',
			'dir-out',
			'link-abs',
			'link-in',
			'link-out',
			'loop',
			'sub'
		]);
		expect(await listInside(root, 'sub')).toEqual(['b.log']);
		expect(await reason(listInside(root, 'dir-out'))).toBe('outside-root');
	});
});
