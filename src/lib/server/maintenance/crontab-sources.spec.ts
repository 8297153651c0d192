import {
	copyFileSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	rmSync,
	symlinkSync,
	writeFileSync,
	chmodSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCrontabs } from './crontab-sources';

let dir: string;
const fixture = new URL('../../../../tests/fixtures/crontab/root.crontab', import.meta.url);

beforeAll(() => {
	dir = mkdtempSync(path.join(tmpdir(), 'vmw-crontabs-'));
	mkdirSync(path.join(dir, 'spool'));
	copyFileSync(fixture, path.join(dir, 'spool', 'root'));
	writeFileSync(
		path.join(dir, 'crontab'),
		'SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n'
	);
	mkdirSync(path.join(dir, 'cron.d'));
	writeFileSync(
		path.join(dir, 'cron.d', 'backup'),
		'0 2 * * * root /opt/s/cron-run.sh backup-sync -- /opt/s/git-safe-sync.sh /srv/b\n0 3 * * 9 root /bin/bad\n'
	);
	writeFileSync(path.join(dir, 'cron.d', '.placeholder'), '# nothing\n');
	writeFileSync(path.join(dir, 'secret'), '0 1 * * * root /bin/true\n');
	symlinkSync('../secret', path.join(dir, 'cron.d', 'evil'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readCrontabs', () => {
	it('reads a user crontab, /etc/crontab and a cron.d directory; refuses a symlink out; reports missing', async () => {
		const set = await readCrontabs({
			specs: [
				path.join(dir, 'spool', 'root'),
				`system:${path.join(dir, 'crontab')}`,
				path.join(dir, 'cron.d'),
				path.join(dir, 'nope')
			],
			defaultTz: 'UTC'
		});
		expect(set.sources.map((s) => [path.relative(dir, s.path), s.kind, s.state])).toEqual([
			['spool/root', 'user', 'ok'],
			['crontab', 'system', 'ok'],
			['cron.d/.placeholder', 'system', 'skipped'],
			['cron.d/backup', 'system', 'ok'],
			['cron.d/evil', 'system', 'not-readable'],
			['nope', 'user', 'not-found']
		]);
		expect(set.sources[4].reason).toMatch(/outside/);
		// 8 enabled jobs in the fixture, 1 in crontab, 1 in cron.d/backup. The fixture's commented
		// `/opt/old/backup.sh` is no job here: that script is not on this machine and never ran.
		expect(set.jobs.length).toBe(10);
		expect(set.unconfirmed.map((j) => [j.name, j.line])).toEqual([['backup', 20]]);
		expect(set.jobs.find((j) => j.name === 'backup-sync')).toMatchObject({
			user: 'root',
			wrapped: true
		});
		expect(set.invalid).toEqual([
			{
				source: path.join(dir, 'cron.d', 'backup'),
				line: 2,
				raw: '0 3 * * 9 root /bin/bad',
				reason: 'day of week "9": 9 is outside 0-7'
			}
		]);
	});

	it('says not-readable for a file it cannot read: over the 1 MiB cap (and without permission, when not root)', async () => {
		const big = path.join(dir, 'spool', 'huge');
		writeFileSync(big, '#'.repeat(1024 * 1024 + 1));
		const set = await readCrontabs({ specs: [big], defaultTz: 'UTC' });
		expect(set.sources[0].state).toBe('not-readable');
		// root reads a mode-000 file, so the permission case can only be seen as another user
		if (process.getuid?.() !== 0) {
			const f = path.join(dir, 'spool', 'locked');
			writeFileSync(f, '0 1 * * * x\n');
			chmodSync(f, 0);
			expect((await readCrontabs({ specs: [f], defaultTz: 'UTC' })).sources[0].state).toBe(
				'not-readable'
			);
		}
	});
});

// A fresh Debian 12 VM as the app sees it: the roadmap's root crontab, the /etc/crontab and
// /etc/cron.d files the packages ship, and dpkg's status under a rootfs of its own.
describe('readCrontabs on a stock Debian 12 host', () => {
	const fixtures = new URL('../../../../tests/fixtures/crontab/', import.meta.url);
	let root: string;
	const specs = () => [
		path.join(root, 'var/spool/cron/crontabs/root'),
		`system:${path.join(root, 'etc/crontab')}`,
		path.join(root, 'etc/cron.d')
	];
	const put = (rel: string, text: string, mode = 0o644) => {
		mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
		writeFileSync(path.join(root, rel), text, { mode });
	};

	beforeAll(() => {
		root = mkdtempSync(path.join(tmpdir(), 'vmw-rootfs-'));
		put('var/spool/cron/crontabs/root', readFileSync(new URL('root.crontab', fixtures), 'utf8'));
		put('etc/crontab', readFileSync(new URL('debian-12/crontab', fixtures), 'utf8'));
		for (const f of ['e2scrub_all', 'php', 'sysstat', 'anacron'])
			put(`etc/cron.d/${f}`, readFileSync(new URL(`debian-12/cron.d/${f}`, fixtures), 'utf8'));
		put('var/lib/dpkg/status', readFileSync(new URL('debian-12/dpkg-status', fixtures), 'utf8'));
		// The operator's own file in cron.d: no package owns it.
		put(
			'etc/cron.d/vm-backup',
			'0 2 * * * root test -x /opt/b/vm-backup.sh && /opt/b/vm-backup.sh --nightly\n'
		);
	});
	afterAll(() => rmSync(root, { recursive: true, force: true }));

	it("lists the operator's jobs under their old names and marks the distribution's as system, with their package", async () => {
		const set = await readCrontabs({ specs: specs(), defaultTz: 'UTC', rootfs: root });
		expect(set.invalid).toEqual([]);
		expect(set.jobs.map((j) => [j.name, j.system, j.package])).toEqual([
			['restore-iptables', false, null],
			['hermes-root-backup', false, null],
			['rotate-ticks', false, null],
			['health-check', false, null],
			['cleanup-standard', false, null],
			['cleanup-weekly', false, null],
			['cleanup-full', false, null],
			['curl', false, null],
			['cron.hourly', true, 'cron-daemon-common'],
			['cron.daily', true, 'cron-daemon-common'],
			['cron.weekly', true, 'cron-daemon-common'],
			['cron.monthly', true, 'cron-daemon-common'],
			['anacron', true, 'anacron'],
			['e2scrub_all_cron', true, 'e2fsprogs'],
			['e2scrub_all', true, 'e2fsprogs'],
			['sessionclean', true, 'php-common'],
			['debian-sa1', true, 'sysstat'],
			['debian-sa1-2', true, 'sysstat'],
			['vm-backup', false, null]
		]);
		// Neither /etc/crontab's `user-name command to be executed` nor the missing /opt/old/backup.sh.
		expect(set.jobs.some((j) => !j.enabled)).toBe(false);
	});

	it('keeps a line the operator adds to /etc/crontab as theirs, and their names ahead of a package job of the same name', async () => {
		put(
			'etc/crontab',
			readFileSync(new URL('debian-12/crontab', fixtures), 'utf8') +
				'15 1 * * * root /usr/local/bin/offsite-sync\n'
		);
		// cron.d/vm-backup is read after cron.d/e2scrub_all, yet the operator's e2scrub_all keeps the plain name.
		put(
			'etc/cron.d/vm-backup',
			'0 2 * * * root test -x /opt/b/vm-backup.sh && /opt/b/vm-backup.sh --nightly\n15 1 * * 6 root /usr/local/bin/e2scrub_all --mine\n'
		);
		try {
			const set = await readCrontabs({ specs: specs(), defaultTz: 'UTC', rootfs: root });
			expect(set.jobs.find((j) => j.name === 'offsite-sync')).toMatchObject({
				system: false,
				package: null
			});
			expect(
				set.jobs
					.filter((j) => /^e2scrub_all(-\d+)?$/.test(j.name))
					.map((j) => [j.name, j.source.slice(root.length), j.system])
			).toEqual([
				['e2scrub_all-2', '/etc/cron.d/e2scrub_all', true],
				['e2scrub_all', '/etc/cron.d/vm-backup', false]
			]);
		} finally {
			put('etc/crontab', readFileSync(new URL('debian-12/crontab', fixtures), 'utf8'));
			put(
				'etc/cron.d/vm-backup',
				'0 2 * * * root test -x /opt/b/vm-backup.sh && /opt/b/vm-backup.sh --nightly\n'
			);
		}
	});

	it('lists a commented-out line as disabled when its program exists, it ran, or it was seen enabled', async () => {
		const user = 'var/spool/cron/crontabs/root';
		put(
			user,
			readFileSync(new URL('root.crontab', fixtures), 'utf8') +
				'# 0 5 * * * /opt/b/prune.sh\n# 0 6 * * * /opt/s/cron-run.sh offsite -- /opt/gone/offsite.sh\n0 7 * * * /opt/b/report.sh\n'
		);
		try {
			const names = async (ranBefore?: (j: { name: string }) => boolean) =>
				(
					await readCrontabs({
						specs: [path.join(root, user)],
						defaultTz: 'UTC',
						rootfs: root,
						ranBefore
					})
				).jobs
					.filter((j) => !j.enabled)
					.map((j) => j.name);
			expect(await names()).toEqual([]);
			// The program appears on the host: /opt/old/backup.sh (the roadmap's "(disabled)" line).
			put('opt/old/backup.sh', '#!/bin/sh\n', 0o755);
			expect(await names()).toEqual(['backup']);
			// The history has runs of the wrapped line's name.
			expect(await names((j) => j.name === 'offsite')).toEqual(['backup', 'offsite']);
			// This process saw report.sh enabled; commented out now, it is still a (disabled) job.
			put(
				user,
				readFileSync(new URL('root.crontab', fixtures), 'utf8') + '# 0 7 * * * /opt/b/report.sh\n'
			);
			expect(await names()).toEqual(['backup', 'report']);
		} finally {
			rmSync(path.join(root, 'opt'), { recursive: true, force: true });
			put(user, readFileSync(new URL('root.crontab', fixtures), 'utf8'));
		}
	});

	it('without dpkg (another distribution, or not mounted) only the run-parts lines are system', async () => {
		const set = await readCrontabs({
			specs: specs(),
			defaultTz: 'UTC',
			rootfs: path.join(root, 'no-such-rootfs')
		});
		expect(set.jobs.filter((j) => j.system).map((j) => [j.name, j.package])).toEqual([
			['cron.hourly', null],
			['cron.daily', null],
			['cron.weekly', null],
			['cron.monthly', null]
		]);
	});
});
