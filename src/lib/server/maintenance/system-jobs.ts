// What the host knows about a crontab line beyond its text: which package ships the file it
// sits in (dpkg's conffiles), and whether the program a commented-out line would run exists.
// Everything is looked up under `rootfs` ('/' on the host, '/host/rootfs' in a container).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { readInside, resolveInside, SafePathError } from '../fs/safe-path';

/** dpkg's status database: `Conffiles:` of every package, host path -> package name. */
export function parseDpkgConffiles(text: string): Map<string, string> {
	const owners = new Map<string, string>();
	for (const stanza of text.split(/\n\s*\n/)) {
		const pkg = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
		const block = /^Conffiles:\n((?:[ \t].*(?:\n|$))*)/m.exec(stanza)?.[1];
		if (!pkg || !block) continue;
		for (const line of block.split('\n')) {
			const file = /^\s+(\/\S+)/.exec(line)?.[1];
			if (file) owners.set(file, pkg);
		}
	}
	return owners;
}

/**
 * The path a crontab has on the host, for matching dpkg's conffiles: the source with the
 * rootfs prefix removed; a file of a directory named cron.d is /etc/cron.d/<name> and a
 * system crontab named crontab is /etc/crontab wherever it is mounted (/host/cron.d/php).
 */
export function hostPathOf(source: string, rootfs: string): string {
	const root = rootfs.replace(/\/+$/, '');
	if (root && source.startsWith(root + '/')) return source.slice(root.length);
	if (path.basename(path.dirname(source)) === 'cron.d')
		return `/etc/cron.d/${path.basename(source)}`;
	if (path.basename(source) === 'crontab') return '/etc/crontab';
	return source;
}

const DPKG_STATUS = 'var/lib/dpkg/status';
const MAX_STATUS_BYTES = 64 * 1024 * 1024;
let ownersCache: { key: string; owners: Map<string, string> } | null = null;

/**
 * Which package owns each conffile, from `rootfs`/var/lib/dpkg/status; re-read only when the
 * file changes. An empty map when there is no dpkg (not Debian or Ubuntu, or not mounted):
 * then only the run-parts lines count as the distribution's.
 */
export async function conffileOwners(rootfs: string): Promise<Map<string, string>> {
	try {
		const real = await resolveInside(rootfs, DPKG_STATUS);
		const st = await fsp.stat(real);
		const key = `${real}:${st.size}:${st.mtimeMs}:${st.ino}`;
		if (ownersCache?.key === key) return ownersCache.owners;
		const owners = parseDpkgConffiles(
			await readInside(rootfs, DPKG_STATUS, { maxBytes: MAX_STATUS_BYTES })
		);
		ownersCache = { key, owners };
		return owners;
	} catch {
		return new Map();
	}
}

/** cron's PATH when a crontab sets none, widened to the usual sbin directories. */
export const DEFAULT_CRON_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

async function existsInside(rootfs: string, hostPath: string): Promise<boolean> {
	try {
		await resolveInside(rootfs, hostPath.replace(/^\/+/, ''));
		return true;
	} catch (err) {
		// A symlink out of the rootfs mount (an absolute link seen from a container) still exists.
		return err instanceof SafePathError && err.reason === 'outside-root';
	}
}

/**
 * Whether the program a (commented-out) job would run exists on the host: an absolute path
 * under rootfs, or a bare name in one of the PATH directories. A relative path that no `cd`
 * anchors cannot be checked: false.
 */
export async function programExists({
	program,
	rootfs,
	pathVar = DEFAULT_CRON_PATH
}: {
	program: string | null;
	rootfs: string;
	pathVar?: string;
}): Promise<boolean> {
	if (!program || program.includes('\0') || program.split('/').includes('..')) return false;
	if (program.startsWith('/')) return existsInside(rootfs, program);
	if (program.includes('/')) return false;
	for (const dir of pathVar.split(':')) {
		if (dir.startsWith('/') && (await existsInside(rootfs, path.posix.join(dir, program))))
			return true;
	}
	return false;
}
