import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diskFigures, readDisk } from './disk';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'vmw-disk-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** df in the test only: the app never spawns it. */
function df(target: string) {
	const out = execFileSync('df', ['-B1', '--output=used,avail,size', target], { encoding: 'utf8' });
	const [used, avail, size] = out.trim().split('\n')[1].trim().split(/\s+/).map(Number);
	return { used, avail, size };
}

// Others write to these filesystems while the test runs, so df runs before and after our
// statfs and our figure must lie between the two readings (plus one 1 MiB rounding step).
const SLACK_BYTES = 2 ** 20;
const between = (v: number, a: number, b: number) => {
	expect(v).toBeGreaterThanOrEqual(Math.min(a, b) - SLACK_BYTES);
	expect(v).toBeLessThanOrEqual(Math.max(a, b) + SLACK_BYTES);
};

describe('readDisk against df', () => {
	const mounts = ['/', tmp, ...(existsSync('/dev/shm') ? ['/dev/shm'] : [])];

	it.each(mounts)('%s', async (mount) => {
		const before = df(mount);
		const figures = await readDisk({ mount });
		const expected = df(mount);
		if (!figures.ok) throw new Error(figures.error);
		between(figures.usedBytes, before.used, expected.used);
		between(figures.availBytes, before.avail, expected.avail);
		expect(figures.totalBytes).toBe(expected.size);
		// df's Use% = used / (used + avail), reserved blocks excluded (so not used / size).
		const dfPct = (u: { used: number; avail: number }) => (u.used / (u.used + u.avail)) * 100;
		expect(figures.usedPct).toBeGreaterThanOrEqual(Math.min(dfPct(before), dfPct(expected)) - 0.01);
		expect(figures.usedPct).toBeLessThanOrEqual(Math.max(dfPct(before), dfPct(expected)) + 0.01);
		expect(figures.usedPct).toBeGreaterThanOrEqual(0);
		expect(figures.usedPct).toBeLessThanOrEqual(100);
	});
});

describe('readDisk with a rootfs prefix', () => {
	it('stats rootfs + mount and keeps the host path in the error', async () => {
		mkdirSync(path.join(tmp, 'data'));
		const viaPrefix = await readDisk({ mount: '/data', rootfs: tmp });
		const direct = await readDisk({ mount: path.join(tmp, 'data') });
		// Both reads must succeed: a failing direct read is a bug here, not a reason to check less.
		expect(viaPrefix).toMatchObject({ ok: true });
		expect(direct).toMatchObject({ ok: true });
		if (!viaPrefix.ok || !direct.ok) throw new Error('unreachable: both reads were asserted ok');
		expect(viaPrefix.totalBytes).toBe(direct.totalBytes);

		const missing = await readDisk({ mount: '/srv/gone', rootfs: tmp });
		expect(missing).toEqual({
			ok: false,
			error: expect.stringMatching(/^disk \/srv\/gone: ENOENT/)
		});
	});
});

describe('diskFigures', () => {
	it('uses df arithmetic with reserved blocks', () => {
		// 1000 blocks of 4096 B; 400 free, of which 50 reserved for root (bavail 350).
		// used = 600 blocks, avail = 350 -> usedPct = 600/950 = 63.157894...%
		const f = diskFigures({ bsize: 4096n, blocks: 1000n, bfree: 400n, bavail: 350n });
		expect(f).toEqual({
			totalBytes: 4096000,
			usedBytes: 2457600,
			availBytes: 1433600,
			usedPct: (600 / 950) * 100
		});
	});

	it('stays exact above 2^53 bytes and gives 0 %, not NaN, for an empty filesystem', () => {
		// 2^40 blocks * 2^16 B = 2^56 B: Number() of the bigint product is exact for a power of two
		expect(
			diskFigures({ bsize: 65536n, blocks: 2n ** 40n, bfree: 0n, bavail: 0n }).totalBytes
		).toBe(2 ** 56);
		expect(diskFigures({ bsize: 4096n, blocks: 0n, bfree: 0n, bavail: 0n }).usedPct).toBe(0);
	});
});
