// Resolve a file name inside a configured root directory, after resolving symlinks, so a
// name taken from config, a request or a file listing can never reach outside that root.
//
// Refused before touching the disk: empty names, NUL bytes, absolute paths, backslashes,
// `..` segments and percent-encoded names (`%2e%2e%2f`: nothing here decodes URLs, so a
// `%xx` in a name is either an attack or a mistake). After `realpath` of both the root and
// the joined path, the result must still lie inside the real root: a symlink inside the
// root that points outside it is refused too.
//
// `openInside` narrows the time-of-check/time-of-use gap: it opens the resolved path with
// O_NOFOLLOW (the final component cannot have been swapped for a symlink) and checks that
// the opened file is the one that was resolved (same device and inode).
import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

export type SafePathReason =
	'invalid-name' | 'outside-root' | 'not-found' | 'not-readable' | 'not-a-file' | 'root-missing';

export class SafePathError extends Error {
	constructor(
		readonly reason: SafePathReason,
		message: string,
		options?: { cause?: unknown }
	) {
		super(message, options);
		this.name = 'SafePathError';
	}
}

const MAX_NAME_CHARS = 1024;

/** Why a name is refused before any disk access, or null when its form is acceptable. */
export function nameProblem(name: string): string | null {
	if (typeof name !== 'string' || name.length === 0) return 'empty name';
	if (name.length > MAX_NAME_CHARS) return `name longer than ${MAX_NAME_CHARS} characters`;
	if (name.includes('\0')) return 'NUL byte in name';
	if (name.includes('\\')) return 'backslash in name';
	if (/%[0-9a-f]{2}/i.test(name)) return 'percent-encoded characters in name';
	if (path.isAbsolute(name)) return 'absolute path';
	if (name.split('/').some((segment) => segment === '..')) return '".." segment in name';
	return null;
}

function isInside(root: string, candidate: string): boolean {
	if (candidate === root) return true;
	const prefix = root.endsWith(path.sep) ? root : root + path.sep;
	return candidate.startsWith(prefix);
}

function codeOf(err: unknown): string | undefined {
	return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * The real path of `name` inside `root`. Throws SafePathError: invalid-name, outside-root,
 * not-found (the file or a directory on its way does not exist), not-readable, root-missing.
 */
export async function resolveInside(root: string, name: string): Promise<string> {
	const problem = nameProblem(name);
	if (problem)
		throw new SafePathError(
			'invalid-name',
			`refused file name ${JSON.stringify(name.slice(0, 200))}: ${problem}`
		);
	let realRoot: string;
	try {
		realRoot = await fsp.realpath(root);
	} catch (err) {
		throw new SafePathError(
			'root-missing',
			`directory ${root} cannot be resolved (${codeOf(err) ?? 'error'})`,
			{ cause: err }
		);
	}
	const joined = path.join(realRoot, name);
	if (!isInside(realRoot, joined))
		throw new SafePathError('outside-root', `${name} is outside ${root}`);
	let real: string;
	try {
		real = await fsp.realpath(joined);
	} catch (err) {
		const code = codeOf(err);
		if (code === 'ENOENT' || code === 'ENOTDIR')
			throw new SafePathError('not-found', `${path.join(root, name)} not found`, { cause: err });
		if (code === 'ELOOP')
			throw new SafePathError('outside-root', `${path.join(root, name)} is a symlink loop`, {
				cause: err
			});
		throw new SafePathError(
			'not-readable',
			`${path.join(root, name)} cannot be resolved (${code ?? 'error'})`,
			{ cause: err }
		);
	}
	if (!isInside(realRoot, real))
		throw new SafePathError(
			'outside-root',
			`${path.join(root, name)} resolves to ${real}, outside ${realRoot}`
		);
	return real;
}

/** Open a regular file inside `root` for reading (see resolveInside for the errors). Close it. */
export async function openInside(
	root: string,
	name: string
): Promise<{ handle: FileHandle; realPath: string; size: number }> {
	const realPath = await resolveInside(root, name);
	let handle: FileHandle;
	try {
		handle = await fsp.open(realPath, constants.O_RDONLY | constants.O_NOFOLLOW);
	} catch (err) {
		const code = codeOf(err);
		if (code === 'ENOENT')
			throw new SafePathError('not-found', `${realPath} not found`, { cause: err });
		if (code === 'ELOOP')
			throw new SafePathError('outside-root', `${realPath} became a symlink`, { cause: err });
		throw new SafePathError('not-readable', `${realPath} cannot be opened (${code ?? 'error'})`, {
			cause: err
		});
	}
	try {
		const [opened, resolved] = await Promise.all([handle.stat(), fsp.stat(realPath)]);
		if (!opened.isFile())
			throw new SafePathError('not-a-file', `${realPath} is not a regular file`);
		if (opened.ino !== resolved.ino || opened.dev !== resolved.dev)
			throw new SafePathError('outside-root', `${realPath} changed while it was opened`);
		return { handle, realPath, size: opened.size };
	} catch (err) {
		await handle.close();
		throw err;
	}
}

/** Read a whole (small) file inside `root` as UTF-8; refuses files over maxBytes. */
export async function readInside(
	root: string,
	name: string,
	{ maxBytes = 1024 * 1024 }: { maxBytes?: number } = {}
): Promise<string> {
	const { handle, realPath, size } = await openInside(root, name);
	try {
		if (size > maxBytes)
			throw new SafePathError(
				'not-readable',
				`${realPath} is ${size} bytes, over the ${maxBytes}-byte limit`
			);
		const buf = Buffer.alloc(size);
		const { bytesRead } = await handle.read(buf, 0, size, 0);
		return buf.subarray(0, bytesRead).toString('utf8');
	} finally {
		await handle.close();
	}
}

/** The names of the entries in a directory inside `root` ('.' for the root itself). */
export async function listInside(root: string, dir = '.'): Promise<string[]> {
	const real = await resolveInside(root, dir);
	try {
		return (await fsp.readdir(real)).sort();
	} catch (err) {
		const code = codeOf(err);
		if (code === 'ENOENT')
			throw new SafePathError('not-found', `${real} not found`, { cause: err });
		throw new SafePathError('not-readable', `${real} cannot be listed (${code ?? 'error'})`, {
			cause: err
		});
	}
}
