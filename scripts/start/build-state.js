// Which build `npm start` may serve, and which old builds it may delete. Plain JS so that
// scripts/start.js runs before anything is compiled.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';

/** What a build is made of: a change to any of these needs a new build. */
export const SOURCES = [
	'src',
	'static',
	'svelte.config.js',
	'vite.config.ts',
	'tsconfig.json',
	'package.json',
	'package-lock.json'
];
export const STAMP = '.vmwarden-build.json';
export const BUILD_PREFIX = 'build-';

/** Every source file (sorted, relative) and every directory, skipping what is not a source. */
function walk(root) {
	const files = [];
	const dirs = [];
	const visit = (rel) => {
		const abs = path.join(root, rel);
		let st;
		try {
			st = lstatSync(abs);
		} catch {
			return;
		}
		if (st.isDirectory()) {
			dirs.push({ rel, mtimeMs: st.mtimeMs });
			for (const name of readdirSync(abs).sort())
				if (!name.startsWith('.')) visit(path.join(rel, name));
		} else if (st.isFile()) files.push({ rel, mtimeMs: st.mtimeMs });
	};
	for (const s of SOURCES) visit(s);
	return { files, dirs };
}

/** Content hash of the sources (names + bytes): the same tree gives the same hash on any machine. */
export function sourceHash(root) {
	const h = createHash('sha256');
	for (const f of walk(root).files) {
		h.update(f.rel.split(path.sep).join('/') + '\0');
		h.update(readFileSync(path.join(root, f.rel)));
		h.update('\0');
	}
	return h.digest('hex').slice(0, 16);
}

/** Newest mtime among the sources and their directories (a deleted file changes its directory's). */
export function newestSourceMtimeMs(root) {
	const { files, dirs } = walk(root);
	return Math.max(0, ...files.map((f) => f.mtimeMs), ...dirs.map((d) => d.mtimeMs));
}

/**
 * Is `dir` (build/ or build-<hash>/) a complete build of the current sources?
 * A build made by `npm start` carries a stamp with the source hash; a plain `vite build`
 * has none and counts as current when its index.js is newer than every source.
 */
export function buildIsCurrent({ root, dir, hash }) {
	const abs = path.resolve(root, dir);
	if (!existsSync(path.join(abs, 'index.js'))) return { current: false, why: `${dir}/ is missing` };
	const stampFile = path.join(abs, STAMP);
	if (existsSync(stampFile)) {
		let stamp;
		try {
			stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
		} catch {
			return { current: false, why: `${dir}/${STAMP} is unreadable` };
		}
		return stamp.sourceHash === hash
			? { current: true }
			: { current: false, why: 'the sources changed since the last build' };
	}
	const builtAt = statSync(path.join(abs, 'index.js')).mtimeMs;
	return builtAt >= newestSourceMtimeMs(root)
		? { current: true }
		: { current: false, why: 'the sources are newer than build/' };
}

/** Live pids with a marker in `<build>/.in-use/` (written by server.js). */
export function liveUsers(buildDir, isAlive = pidAlive) {
	let names;
	try {
		names = readdirSync(path.join(buildDir, '.in-use'));
	} catch {
		return [];
	}
	return names.map(Number).filter((pid) => Number.isInteger(pid) && pid > 0 && isAlive(pid));
}

export function pidAlive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (err) {
		return err.code === 'EPERM';
	}
}

/** Where the `build` link points (a name such as build-<hash>), or null when build/ is a plain directory or absent. */
export function linkTarget(root) {
	const link = path.join(root, 'build');
	try {
		return lstatSync(link).isSymbolicLink() ? readlinkSync(link) : null;
	} catch {
		return null;
	}
}

/** build-<hash> directories that no process uses and `build` does not point to: safe to delete. */
export function removableBuilds({ root, keep, isAlive = pidAlive }) {
	return readdirSync(root)
		.filter((name) => name.startsWith(BUILD_PREFIX) && !keep.includes(name))
		.filter((name) => lstatSync(path.join(root, name)).isDirectory())
		.filter((name) => liveUsers(path.join(root, name), isAlive).length === 0);
}
