// Disk usage through statfs(2) — never by spawning df (DESIGN decision 5).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { DiskFigures, Metric } from '$lib/health';

/**
 * Figures for the filesystem holding `mount`, read at `rootfs` + `mount`.
 * `rootfs` is where the host's root is visible: '/' on the host, '/host/rootfs' in the
 * container. The mount keeps its host name in everything reported.
 *
 * Async on purpose: statfs on a dead network mount can block for minutes, and that must
 * stall one libuv worker, not the event loop. Errors come back as { ok: false }.
 */
export async function readDisk({
	mount,
	rootfs = '/'
}: {
	mount: string;
	rootfs?: string;
}): Promise<Metric<DiskFigures>> {
	const target = path.join(rootfs, mount);
	try {
		// bigint: blocks * bsize can pass 2^53 only on exabyte filesystems, but the product
		// is exact this way and converted once.
		const s = await fsp.statfs(target, { bigint: true });
		return { ok: true, ...diskFigures(s) };
	} catch (err) {
		return { ok: false, error: `disk ${mount}: ${(err as Error).message}` };
	}
}

/** df's arithmetic: used = blocks - bfree; usedPct = used / (used + bavail), root-reserved blocks excluded. */
export function diskFigures(s: {
	bsize: bigint;
	blocks: bigint;
	bfree: bigint;
	bavail: bigint;
}): DiskFigures {
	const usedBytes = Number((s.blocks - s.bfree) * s.bsize);
	const availBytes = Number(s.bavail * s.bsize);
	const denominator = usedBytes + availBytes;
	return {
		totalBytes: Number(s.blocks * s.bsize),
		usedBytes,
		availBytes,
		// A zero-size pseudo filesystem has no meaningful share; report 0 rather than NaN.
		usedPct: denominator > 0 ? (usedBytes / denominator) * 100 : 0
	};
}
